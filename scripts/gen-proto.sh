#!/usr/bin/env bash
# gen-proto.sh regenerates the connector wire code from proto/ into
# internal/connectorpb (or into $1, a directory standing in for the module
# root, which check-proto uses to diff against the committed code).
#
# Needs protoc (apt-get install -y protobuf-compiler). The Go generators are
# built at pinned versions into a cache directory, so the output does not
# depend on what happens to be on PATH. Exit status 3: no protoc; 4: the
# generators could not be built.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.}"
PROTOC_GEN_GO_VERSION=v1.36.12   # google.golang.org/protobuf, as in go.mod
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2 # google.golang.org/grpc/cmd/protoc-gen-go-grpc

if ! command -v protoc >/dev/null 2>&1; then
  echo "gen-proto: protoc not found; install it with: apt-get install -y protobuf-compiler" >&2
  exit 3
fi
bin="${PARLEY_PROTOC_GEN_DIR:-$(go env GOCACHE)/parley-protoc-gen}"
mkdir -p "$bin"
install() { # install <package> <version> <binary name>
  if [ ! -x "$bin/$3-$2" ]; then
    if ! GOBIN="$bin" GOFLAGS= go install "$1@$2"; then
      echo "gen-proto: cannot build $1@$2 (offline?)" >&2
      exit 4
    fi
    mv "$bin/$3" "$bin/$3-$2"
  fi
}
install google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION" protoc-gen-go
install google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION" protoc-gen-go-grpc

mkdir -p "$out/internal/connectorpb"
protoc \
  --proto_path=proto \
  --plugin=protoc-gen-go="$bin/protoc-gen-go-$PROTOC_GEN_GO_VERSION" \
  --plugin=protoc-gen-go-grpc="$bin/protoc-gen-go-grpc-$PROTOC_GEN_GO_GRPC_VERSION" \
  --go_out="$out" --go_opt=module=github.com/parley-hub/parley \
  --go-grpc_out="$out" --go-grpc_opt=module=github.com/parley-hub/parley \
  connector/v1/connector.proto
