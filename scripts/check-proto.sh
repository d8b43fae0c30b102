#!/usr/bin/env bash
# check-proto.sh regenerates the connector wire code into a temporary
# directory and fails if it differs from the committed internal/connectorpb.
# The protoc version line of the generated header is ignored. Without protoc
# it says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
set +e
./scripts/gen-proto.sh "$tmp"
rc=$?
set -e
case $rc in
  0) ;;
  3|4) echo "check-proto: SKIPPED (see above); generated code not checked"; exit 0 ;;
  *) exit $rc ;;
esac
status=0
for name in $( (cd internal/connectorpb && ls *.pb.go; cd "$tmp/internal/connectorpb" && ls *.pb.go) | sort -u); do
  rel="internal/connectorpb/$name"
  if [ ! -f "$rel" ] || [ ! -f "$tmp/$rel" ]; then
    echo "check-proto: $rel exists on one side only"; status=1; continue
  fi
  if ! diff -u <(grep -v '^// 	protoc  ' "$rel") <(grep -v '^// 	protoc  ' "$tmp/$rel"); then
    status=1
  fi
done
if [ $status -ne 0 ]; then
  echo "check-proto: internal/connectorpb is stale; run scripts/gen-proto.sh (make proto)" >&2
else
  echo "check-proto: internal/connectorpb is up to date"
fi
exit $status
