package whatsapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors. Compare with errors.Is; most reach callers wrapped in one
// of the typed errors below.
var (
	// ErrRequired: a required field or config key is empty.
	ErrRequired = errors.New("is required")
	// ErrWrongObject: a webhook body whose "object" is not
	// "whatsapp_business_account".
	ErrWrongObject = errors.New(`is not "whatsapp_business_account"`)
	// ErrNotUnixSeconds: a webhook timestamp that is not Unix seconds in a
	// decimal string.
	ErrNotUnixSeconds = errors.New("is not Unix seconds")
	// ErrSignatureMissing: a webhook POST without X-Hub-Signature-256.
	ErrSignatureMissing = errors.New("missing X-Hub-Signature-256 header")
	// ErrSignatureMalformed: an X-Hub-Signature-256 that is not "sha256=<hex>".
	ErrSignatureMalformed = errors.New(`X-Hub-Signature-256 is not "sha256=<hex>"`)
	// ErrSignatureMismatch: a signature that does not match the body.
	ErrSignatureMismatch = errors.New("X-Hub-Signature-256 does not match the body")
	// ErrUnsuccessful: a 200 response that does not report success
	// (no message id on a send, no "success": true on a read receipt).
	ErrUnsuccessful = errors.New("response does not report success")
	// ErrNoWABA: ListTemplates without ClientConfig.WABAID.
	ErrNoWABA = errors.New("no WhatsApp Business Account id configured")
	// ErrPaging: template paging that loops or never ends.
	ErrPaging = errors.New("paging does not terminate")
)

// APIError is an error response of the Graph API: any non-2xx response whose
// body is Graph's {"error": {...}} envelope. Branch on Class (derived from
// Graph.Code), never on HTTPStatus or on the message text. The client removes
// the access token from every text field before returning it.
type APIError struct {
	// HTTPStatus is the response's status code, for logs only.
	HTTPStatus int
	// Graph is the decoded error object.
	Graph GraphError
	// RetryAfter is the server's own hint, from a Retry-After header or the
	// estimated_time_to_regain_access of x-business-use-case-usage; zero if
	// none was given.
	RetryAfter time.Duration
}

// Error returns "(#code) message", with error_data.details appended when
// present. Graph already prefixes WhatsApp messages with "(#code) "; that
// prefix is not repeated.
func (e *APIError) Error() string {
	msg := strings.TrimSpace(strings.TrimPrefix(e.Graph.Message, fmt.Sprintf("(#%d)", e.Graph.Code)))
	s := fmt.Sprintf("(#%d) %s", e.Graph.Code, msg)
	if e.Graph.ErrorData != nil && e.Graph.ErrorData.Details != "" && e.Graph.ErrorData.Details != msg {
		s += ": " + e.Graph.ErrorData.Details
	}
	return s
}

// Class classifies the error by its code (see Classify). An unknown code that
// Graph marks is_transient is ClassRetry.
func (e *APIError) Class() Class {
	c := Classify(e.Graph.Code)
	if _, known := lookupCode(e.Graph.Code); !known && e.Graph.IsTransient != nil && *e.Graph.IsTransient {
		return ClassRetry
	}
	return c
}

// Wait is the suggested pause before attempt number attempt+1 (attempt counts
// failures so far, from 0): the larger of the server's RetryAfter and
// SuggestedWait for the code.
func (e *APIError) Wait(attempt int) time.Duration {
	w := SuggestedWait(e.Graph.Code, attempt)
	if e.Class() == ClassRetry && w == 0 {
		w = defaultRetry.after(attempt)
	}
	return max(w, e.RetryAfter)
}

// ResponseError is a response the client could not use: a non-2xx response
// without a Graph error envelope (a proxy's HTML page, an empty 502), a
// malformed 2xx body, or a 2xx body that does not report success. Body holds
// at most the first 512 bytes.
type ResponseError struct {
	Op         string
	HTTPStatus int
	Body       string
	Err        error
}

func (e *ResponseError) Error() string {
	s := fmt.Sprintf("whatsapp %s: HTTP %d: %v", e.Op, e.HTTPStatus, e.Err)
	if e.Body != "" {
		s += fmt.Sprintf(" (body %q)", e.Body)
	}
	return s
}

func (e *ResponseError) Unwrap() error { return e.Err }

// Class is ClassRetry for 2xx, 408, 429 and 5xx responses and ClassPermanent
// for other statuses: without an error code the status is all there is. A
// 2xx is ClassRetry because the request reached Meta but its outcome is
// unknown; a retry may duplicate the message, which status webhooks show.
func (e *ResponseError) Class() Class {
	switch s := e.HTTPStatus; {
	case s >= 200 && s < 300, s == 408, s == 429, s >= 500:
		return ClassRetry
	default:
		return ClassPermanent
	}
}

// TransportError is a request that got no response: DNS, connect, TLS,
// timeout, cancelled context, or a body that could not be read. Its text
// has the access token removed. Always ClassRetry.
type TransportError struct {
	Op  string
	Err error
	msg string // redacted Err.Error()
}

func (e *TransportError) Error() string { return "whatsapp " + e.Op + ": " + e.msg }

func (e *TransportError) Unwrap() error { return e.Err }

// FieldError names one invalid field of a request or a config, with the
// offending value (nil when the value says nothing more).
type FieldError struct {
	Field string
	Value any
	Err   error
}

// Error returns "field: problem" and ", got <value>" when Value is set.
func (e *FieldError) Error() string {
	s := e.Field + ": " + e.Err.Error()
	if e.Value != nil {
		s += ", got " + formatValue(e.Value)
	}
	return s
}

func (e *FieldError) Unwrap() error { return e.Err }

// ValidationError lists every problem Validate found in a SendRequest (or
// NewClient/NewReceiver in a config). It is always ClassPermanent.
type ValidationError struct {
	Problems []*FieldError
}

// Error joins the problems with "; ".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the problems, so errors.As finds a *FieldError.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// problems collects FieldErrors; err returns nil or a *ValidationError.
type problems []*FieldError

func (p *problems) add(field string, value any, err error) {
	*p = append(*p, &FieldError{Field: field, Value: value, Err: err})
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// ParseError is a webhook body that Parse cannot decode. Field is the JSON
// path of the problem ("entry[0].changes[1].value.statuses[0].timestamp", or
// "body" for the whole body), Value the offending value (a string, or the raw
// JSON as json.RawMessage; nil when unknown). A ParseError is permanent: the
// same bytes never parse.
type ParseError struct {
	Field string
	Value any
	Err   error
}

// Error returns `field: "value" problem`, e.g.
// `entry[0].changes[1].value.statuses[0].timestamp: "abc" is not Unix seconds`.
func (e *ParseError) Error() string {
	if e.Value == nil {
		return e.Field + ": " + e.Err.Error()
	}
	return e.Field + ": " + formatValue(e.Value) + " " + e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", truncate(v, 80))
	case json.RawMessage:
		return truncate(string(v), 80)
	default:
		return fmt.Sprint(v)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
