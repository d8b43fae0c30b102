// Package api is Parley's HTTP surface: the /v1 API (events, messages),
// health checks, and the mount point of the WhatsApp webhook receiver.
// Errors are JSON with a stable code and a message naming the field; the
// raw error goes to the log. Start with Server.Handler.
package api
