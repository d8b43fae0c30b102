package sdk

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/parley-hub/parley/internal/connectorpb"
	"github.com/parley-hub/parley/internal/pluginwire"
)

// ProtocolVersion is the version of the wire protocol between the hub and a
// connector. It is bumped on every breaking change; the hub refuses a
// connector built against another version.
const ProtocolVersion = 1

// Serve runs c as a connector plugin and returns when the hub stops it. It
// is the one call in a connector's main.
//
// Serve sets slog's default logger to one the hub understands, so a
// connector logs with log/slog (or the log package) and its records reach
// the hub's log with their level and attributes. Run by hand instead of by
// the hub, the program prints a short explanation and exits with status 1.
func Serve(c Connector) {
	slog.SetDefault(slog.New(newLogHandler(os.Stderr, slog.LevelDebug)))
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: pluginwire.Handshake(ProtocolVersion),
		Plugins:         plugin.PluginSet{pluginwire.PluginName: &grpcPlugin{impl: c}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}

// grpcPlugin is the connector's side of go-plugin's plugin set.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Connector
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterConnectorServer(s, newServer(p.impl))
	return nil
}

func (p *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("sdk: the connector client lives in the hub")
}
