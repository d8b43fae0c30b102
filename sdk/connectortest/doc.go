// Package connectortest is the conformance suite every Parley connector must
// pass, first-party or not.
//
// A connector's test supplies fixtures in a Features value and a constructor
// returning a fresh, unconfigured connector, then runs the suite twice: once
// calling the connector in-process, once through the real go-plugin gRPC
// server and client, so that what is asserted also holds across the wire:
//
//	func TestConformance(t *testing.T) {
//		f := connectortest.Features{Webhooks: true, Config: cfg, ValidWebhook: valid, ...}
//		connectortest.Run(t, f, newConnector)
//		connectortest.RunGRPC(t, f, newConnector)
//	}
//
// Each assertion is also an exported Test function, so a connector can run
// one alone, in-process or over gRPC (wrap the constructor with OverGRPC).
package connectortest
