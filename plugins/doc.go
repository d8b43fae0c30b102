// Package plugins is the hub's side of the connector plugin boundary: it
// launches each connector binary, verifies its checksum first, handshakes
// with sdk.ProtocolVersion over go-plugin with automatic mTLS, configures
// it, watches its health, restarts it with back-off when it crashes, and
// routes its logs into the hub's slog.Logger.
//
// Start reading at host.go (New, Start, Close, Connector), then
// supervise.go (one plugin's life: launch, watch, restart) and client.go
// (what the hub calls: Client.HandleWebhook and friends, which fail with
// ErrUnavailable while a plugin is down).
package plugins
