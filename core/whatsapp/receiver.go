package whatsapp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Sink stores webhook bodies for the pipeline. The Receiver calls it once
// per POST, from the request's goroutine; implementations must be safe for
// concurrent use (Meta delivers concurrently) and should return promptly
// (Meta expects an answer within seconds), honouring ctx, which ends when
// the request does.
//
// raw is the exact body as received. The Receiver does not touch it after
// the call, so the Sink may keep it without copying.
type Sink interface {
	// Accept stores an authenticated body durably before it returns nil:
	// Meta is told 200 only after that, and never redelivers it. A non-nil
	// error makes the Receiver answer 500 so Meta redelivers (for up to 7
	// days); Accept may therefore see the same body more than once, and the
	// same events also arrive in different bodies, so consumers dedupe on
	// wamid and status. Accept does not parse: a body that later fails Parse
	// is dead-lettered by the pipeline, not refused here. receivedAt is when
	// the Receiver started reading the request.
	Accept(ctx context.Context, raw []byte, receivedAt time.Time) error
	// Reject records a body whose signature was missing or wrong, with the
	// reason, for forensics. The body is untrusted and may be hostile; it is
	// never processed. The Receiver answers 401 whatever Reject returns
	// (its error is only logged), so Reject may drop or sample under load.
	Reject(ctx context.Context, raw []byte, reason string) error
}

// ReceiverConfig configures a Receiver.
type ReceiverConfig struct {
	// AppSecret is the Meta app's secret, the HMAC key of
	// X-Hub-Signature-256. Required. Secret.
	AppSecret string
	// VerifyToken is the token entered in the App Dashboard, echoed in the
	// GET handshake. Required. Secret.
	VerifyToken string
	// MaxBodyBytes caps a POST body; larger bodies get 413. Default 3 MiB
	// (Meta sends at most 3 MB).
	MaxBodyBytes int64
	// Sink receives authenticated bodies and rejected ones. Required.
	Sink Sink
	// Logger logs rejections and Sink failures, never bodies or secrets.
	// Default slog.Default().
	Logger *slog.Logger
	// Now is the clock stamping receivedAt. Default time.Now.
	Now func() time.Time
}

const defaultMaxBodyBytes = 3 << 20

// Receiver is the http.Handler Meta calls: GET for the subscription
// handshake, POST for notifications. It authenticates, stores and
// acknowledges; it does not parse (see Parse). Mount it at the callback URL
// configured in the App Dashboard.
type Receiver struct {
	cfg         ReceiverConfig
	verifyToken [sha256.Size]byte
}

// NewReceiver checks cfg and returns a Receiver.
func NewReceiver(cfg ReceiverConfig) (*Receiver, error) {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = defaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var p problems
	if cfg.AppSecret == "" {
		p.add("AppSecret", nil, ErrRequired)
	}
	if cfg.VerifyToken == "" {
		p.add("VerifyToken", nil, ErrRequired)
	}
	if cfg.Sink == nil {
		p.add("Sink", nil, ErrRequired)
	}
	if cfg.MaxBodyBytes < 0 {
		p.add("MaxBodyBytes", cfg.MaxBodyBytes, errors.New("must be positive"))
	}
	if err := p.err(); err != nil {
		return nil, fmt.Errorf("whatsapp receiver config: %w", err)
	}
	return &Receiver{cfg: cfg, verifyToken: sha256.Sum256([]byte(cfg.VerifyToken))}, nil
}

// ServeHTTP answers:
//
//	GET  hub.mode=subscribe and the right hub.verify_token → 200, the hub.challenge bytes (text/plain); else 403
//	POST body > MaxBodyBytes                              → 413, nothing stored
//	POST signature missing or wrong                       → 401, Sink.Reject(body, reason), nothing else
//	POST signed, Sink.Accept fails                        → 500 (Meta redelivers)
//	POST signed, Sink.Accept stored it                    → 200
//	other methods                                         → 405
//
// Error bodies are JSON {"error":{"code":"…","message":"…"}} with a stable code.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		rc.handshake(w, r)
	case http.MethodPost:
		rc.receive(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET for verification or POST for notifications")
	}
}

func (rc *Receiver) handshake(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := sha256.Sum256([]byte(q.Get("hub.verify_token"))) // hashing hides the length from timing
	challenge := q.Get("hub.challenge")
	if q.Get("hub.mode") != "subscribe" || subtle.ConstantTimeCompare(token[:], rc.verifyToken[:]) != 1 || challenge == "" {
		rc.cfg.Logger.WarnContext(r.Context(), "whatsapp webhook: verification refused",
			"mode", q.Get("hub.mode"), "remote", r.RemoteAddr)
		writeError(w, http.StatusForbidden, "verification_failed", "verification failed")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, challenge)
}

func (rc *Receiver) receive(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	receivedAt := rc.cfg.Now()
	log := rc.cfg.Logger

	if r.ContentLength > rc.cfg.MaxBodyBytes {
		log.WarnContext(ctx, "whatsapp webhook: body too large", "bytes", r.ContentLength, "remote", r.RemoteAddr)
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("body exceeds %d bytes", rc.cfg.MaxBodyBytes))
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rc.cfg.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			log.WarnContext(ctx, "whatsapp webhook: body too large", "remote", r.RemoteAddr)
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("body exceeds %d bytes", rc.cfg.MaxBodyBytes))
			return
		}
		log.WarnContext(ctx, "whatsapp webhook: reading body failed", "err", err, "remote", r.RemoteAddr)
		writeError(w, http.StatusBadRequest, "unreadable_body", "could not read the body")
		return
	}

	if err := VerifySignature(rc.cfg.AppSecret, raw, r.Header.Get(SignatureHeader)); err != nil {
		reason := err.Error()
		log.WarnContext(ctx, "whatsapp webhook: signature rejected", "reason", reason, "bytes", len(raw), "remote", r.RemoteAddr)
		if rerr := rc.cfg.Sink.Reject(ctx, raw, reason); rerr != nil {
			log.ErrorContext(ctx, "whatsapp webhook: recording a rejected body failed", "err", rerr)
		}
		writeError(w, http.StatusUnauthorized, "invalid_signature", "signature verification failed")
		return
	}

	if err := rc.cfg.Sink.Accept(ctx, raw, receivedAt); err != nil {
		log.ErrorContext(ctx, "whatsapp webhook: storing the body failed; Meta will redeliver", "err", err, "bytes", len(raw))
		writeError(w, http.StatusInternalServerError, "not_stored", "the notification could not be stored; retry later")
		return
	}
	w.WriteHeader(http.StatusOK)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = code, msg
	_ = json.NewEncoder(w).Encode(body)
}
