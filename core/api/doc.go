// Package api is Parley's HTTP surface: the /v1 API (events, messages,
// contacts, connectors, dead letters), health checks, /metrics, and the
// mount points of the webhook receivers. Start with the route table in
// routes.go: every endpoint with the API key scope it needs (keys.go:
// 401 for a missing, unknown or expired key, 403 for a missing scope).
// observe.go logs each request and reports it to the Observer (metrics).
// Errors are JSON with a stable code and a message naming the field; the
// raw error goes to the log.
package api
