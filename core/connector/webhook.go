package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/sdk"
)

// request is a stored webhook request: one connector_inbox row.
type request struct {
	id         int64
	connector  string
	method     string
	path       string
	query      string
	header     http.Header
	body       []byte
	receivedAt time.Time
	attempts   int
}

// sdk returns the request as the plugin receives it. ReceivedAt is the
// original time, also on a retry, so that replay windows judge the delivery
// by when it arrived.
func (r *request) sdk() sdk.WebhookRequest {
	return sdk.WebhookRequest{Method: r.method, Path: r.path, RawQuery: r.query, Header: r.header, Body: r.body, ReceivedAt: r.receivedAt}
}

// ServeHTTP receives a connector's webhook at /connectors/{name}/webhook
// (and below it; the rest of the path is passed on). There is no API key:
// the connector checks the request's own signature. The request is stored
// raw before anything else, then handed to the plugin, and the answer
// follows the outcome:
//
//	2xx  processed: the events are stored (the connector's status, default 200),
//	     or a redelivery of a delivery already processed (200)
//	202  stored, to be processed when the plugin is back (or can retry)
//	401  the connector refused the signature; nothing emitted
//	400  the connector found the payload malformed; the request is kept with the reason
//	404  no such connector (or it takes no webhooks)
//	413  body too large; 500 the request could not be stored
func (c *Connectors) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !c.enabled(name) {
		writeError(w, http.StatusNotFound, "unknown_connector", fmt.Sprintf("no connector named %q is configured", name))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("body larger than %d bytes", tooBig.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "bad_body", "could not read the body")
		return
	}
	req := &request{connector: name, method: r.Method, path: "/" + r.PathValue("rest"), query: r.URL.RawQuery,
		header: r.Header.Clone(), body: body, receivedAt: c.now()}
	ctx := r.Context()
	if err := c.storeRequest(ctx, req); err != nil {
		c.log.Error("store connector webhook", "connector", name, "error", err)
		writeError(w, http.StatusInternalServerError, "internal", "the request could not be stored; send it again")
		return
	}
	v := c.process(context.WithoutCancel(ctx), req)
	v.write(w)
}

// storeRequest inserts the request into connector_inbox, pending. The retry
// loop leaves it alone until the HTTP path has had its chance (the webhook
// timeout, and a margin).
func (c *Connectors) storeRequest(ctx context.Context, req *request) error {
	headers, err := json.Marshal(req.header)
	if err != nil {
		return err
	}
	lease := req.receivedAt.Add(c.cfg.WebhookTimeout + 5*time.Second)
	return c.cfg.DB.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO connector_inbox(connector, method, path, query, headers, body, received_at, next_attempt_at)
			VALUES (?,?,?,?,?,?,?,?)`, req.connector, req.method, req.path, req.query, string(headers), req.body,
			req.receivedAt.UnixMilli(), lease.UnixMilli())
		if err != nil {
			return fmt.Errorf("store connector webhook: %w", err)
		}
		req.id, err = res.LastInsertId()
		return err
	})
}

// errorBody is the body of every error answer, as in package api.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if status == http.StatusNoContent || status == http.StatusNotModified || status < 200 {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
