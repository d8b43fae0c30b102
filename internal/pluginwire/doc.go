// Package pluginwire holds what both sides of the connector plugin boundary
// must agree on and that package sdk cannot export without putting go-plugin
// in its public API: the handshake, the plugin's name in go-plugin's plugin
// set, and the hook (NewServer) through which sdk/connectortest serves a
// connector in-process over real gRPC.
//
// It imports neither sdk nor the hub, so sdk can use it (sdk's server side)
// as well as internal/connectorclient and plugins (the host side).
package pluginwire
