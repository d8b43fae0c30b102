// Package sdk is what a vendor imports to write a Parley connector plugin.
//
// A connector is a separate program. Its main calls [Serve] with a value that
// implements [Connector]; Parley's hub starts the program, handshakes with it
// over go-plugin and gRPC (both hidden from this package's API) and calls it
// when a webhook arrives, when it is time to poll, or when a flow runs an
// action.
//
// Start reading at connector.go ([Connector], [Spec] and the optional
// capabilities [WebhookHandler], [Poller], [Actor] and [HealthChecker]), then
// errors.go (what an error means to the hub) and serve.go. The conformance
// suite every connector must pass is in package
// github.com/parley-hub/parley/sdk/connectortest.
//
// The package deliberately imports none of the hub's own dependencies
// (SQLite, Watermill); a test enforces it.
package sdk
