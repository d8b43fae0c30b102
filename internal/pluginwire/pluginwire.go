package pluginwire

import (
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/parley-hub/parley/internal/connectorpb"
)

// The magic cookie is not a security measure: it makes a connector binary
// started by hand say "run me from Parley" instead of hanging.
const (
	MagicCookieKey   = "PARLEY_CONNECTOR_PLUGIN"
	MagicCookieValue = "a8d1f9c2-parley-connector"
	// PluginName is the connector's key in go-plugin's plugin set.
	PluginName = "connector"
)

// Handshake returns the go-plugin handshake for a protocol version.
func Handshake(protocolVersion uint) plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  protocolVersion,
		MagicCookieKey:   MagicCookieKey,
		MagicCookieValue: MagicCookieValue,
	}
}

// NewServer builds the Connector gRPC service for impl, which must be an
// sdk.Connector. Package sdk sets it when it is initialised; it exists so
// that sdk/connectortest can serve a connector in-process over real gRPC
// without sdk exporting its server.
var NewServer func(impl any) connectorpb.ConnectorServer

// Register registers the Connector service for impl on s using NewServer.
func Register(s *grpc.Server, impl any) {
	connectorpb.RegisterConnectorServer(s, NewServer(impl))
}
