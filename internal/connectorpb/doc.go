// Package connectorpb is the generated wire code of the connector protocol
// (proto/connector/v1/connector.proto). Do not edit the .pb.go files:
// regenerate them with scripts/gen-proto.sh. Only internal packages use
// it; sdk and plugins convert to and from their own types.
package connectorpb
