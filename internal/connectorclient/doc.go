// Package connectorclient is the hub's side of the connector wire: a Client
// that calls a connector plugin over gRPC with sdk types, and decodes gRPC
// statuses back into sdk's errors so that errors.Is(err, sdk.ErrUnauthorized)
// holds on the host. Package plugins uses it for real plugin processes and
// sdk/connectortest for its in-process gRPC run.
package connectorclient
