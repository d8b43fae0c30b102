package api

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/google/uuid"
)

// Observer is told of each request the API answered, for metrics. Its
// methods are called after the response is written; they must be safe for
// concurrent use and must not block.
type Observer interface {
	// Request is called for every request. route is the route table's
	// pattern that matched, "" when none did.
	Request(route string, code int, d time.Duration)
	// Event is called for every POST /v1/events that got past the API key
	// check, with its outcome: accepted, duplicate (an idempotent repeat),
	// rejected (invalid input) or error.
	Event(outcome string)
	// Webhook is called for every delivery to a webhook receiver
	// ("whatsapp" or "connector") with the time taken to answer it.
	Webhook(receiver string, d time.Duration)
}

// CorrelationHeader carries a request's correlation id: taken from the
// request (or X-Request-ID) when it is a plausible id, else generated, and
// always sent back. The request log shows it.
const CorrelationHeader = "X-Correlation-ID"

var correlationRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// reqInfo is what the layers inside observe learn about a request.
type reqInfo struct {
	route string    // the route table's pattern
	kind  routeKind // what it reports
	key   string    // the name of the API key used, if any
}

type infoKey struct{}

// infoOf returns the request's reqInfo; a throwaway one outside observe.
func infoOf(r *http.Request) *reqInfo {
	if info, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return info
	}
	return &reqInfo{}
}

// observe logs every request and reports it to the Observer. The log has
// the method, the route pattern (the path only when no route matched: paths
// may name a contact by phone number; never the query string, which may
// carry the webhook verify token), the status, the duration, the
// correlation id and the name of the API key; never a key or a body. Requests answered
// below 400 log at debug, 4xx at info, 5xx at warn.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		cid := r.Header.Get(CorrelationHeader)
		if !correlationRE.MatchString(cid) {
			cid = r.Header.Get("X-Request-ID")
		}
		if !correlationRE.MatchString(cid) {
			cid = uuid.NewString()
		}
		w.Header().Set(CorrelationHeader, cid)
		info := &reqInfo{}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		code := rec.status()
		d := time.Since(start)

		if o := s.cfg.Observer; o != nil {
			o.Request(info.route, code, d)
			switch info.kind {
			case eventsRoute:
				if outcome := eventOutcome(code, rec.Header()); outcome != "" {
					o.Event(outcome)
				}
			case whatsappWebhook:
				if r.Method == http.MethodPost {
					o.Webhook("whatsapp", d)
				}
			case connectorWebhook:
				o.Webhook("connector", d)
			}
		}
		level := slog.LevelDebug
		switch {
		case code >= 500:
			level = slog.LevelWarn
		case code >= 400:
			level = slog.LevelInfo
		}
		attrs := []slog.Attr{slog.String("method", r.Method)}
		if info.route != "" {
			attrs = append(attrs, slog.String("route", info.route))
		} else {
			attrs = append(attrs, slog.String("path", r.URL.Path))
		}
		attrs = append(attrs, slog.Int("status", code), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.Int64("bytes", rec.bytes), slog.String("correlation_id", cid))
		if info.key != "" {
			attrs = append(attrs, slog.String("api_key", info.key))
		}
		s.cfg.Log.LogAttrs(r.Context(), level, "http request", attrs...)
	})
}

// eventOutcome names the outcome of a POST /v1/events; "" for a request
// refused before it reached the handler (401, 403).
func eventOutcome(code int, h http.Header) string {
	switch {
	case code == http.StatusAccepted && h.Get("Idempotent-Replayed") == "true":
		return "duplicate"
	case code == http.StatusAccepted:
		return "accepted"
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return ""
	case code >= 500:
		return "error"
	default:
		return "rejected"
	}
}

// recorder notes the status and size of a response.
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// Flush passes a flush on, for handlers that stream.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
