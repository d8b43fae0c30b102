package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

// TestClassifyProtocolCodes covers every code of PROTOCOL.md §2.3 (and the
// Graph codes seen in the OpenAPI error examples). The expected class is
// written here independently of the table in classify.go.
func TestClassifyProtocolCodes(t *testing.T) {
	t.Parallel()
	want := map[int]Class{
		0:      ClassAuth,      // AuthException: token expired/invalidated
		1:      ClassRetry,     // API Unknown
		2:      ClassRetry,     // API Service: temporary downtime
		3:      ClassAuth,      // API Method: capability/permission (HTTP 500!)
		4:      ClassBackOff,   // app-level rate limit
		10:     ClassAuth,      // permission denied
		17:     ClassBackOff,   // user request limit (OpenAPI examples)
		33:     ClassAuth,      // business phone number deleted
		100:    ClassPermanent, // invalid parameter
		104:    ClassAuth,      // access token required (OpenAPI examples)
		190:    ClassAuth,      // access token expired/invalid
		200:    ClassAuth,      // API Permission range 200–299
		250:    ClassAuth,      //
		299:    ClassAuth,      //
		368:    ClassAuth,      // temporarily blocked for policy violations
		613:    ClassBackOff,   // Graph rate limit (OpenAPI examples)
		80007:  ClassBackOff,   // WABA rate limit
		130429: ClassBackOff,   // per-number throughput
		130472: ClassPermanent, // experiment
		130497: ClassPermanent, // country not allowed
		131000: ClassRetry,     // something went wrong
		131005: ClassAuth,      // access denied
		131008: ClassPermanent, // required parameter missing
		131009: ClassPermanent, // parameter value not valid
		131016: ClassRetry,     // service unavailable
		131021: ClassPermanent, // recipient cannot be sender
		131026: ClassPermanent, // undeliverable
		131030: ClassPermanent, // not in allowed list
		131031: ClassAuth,      // account locked
		131037: ClassAuth,      // display name not approved
		131042: ClassAuth,      // payment issue
		131045: ClassAuth,      // incorrect certificate
		131047: ClassNeedsTemplate,
		131048: ClassBackOff,   // spam rate limit
		131049: ClassBackOff,   // per-user marketing cap, wait ≥ 24 h
		131050: ClassPermanent, // user stopped marketing
		131051: ClassPermanent, // unsupported message type
		131052: ClassPermanent, // media download error
		131053: ClassPermanent, // media upload error
		131056: ClassBackOff,   // pair rate limit
		131057: ClassRetry,     // maintenance mode ≤ 1 min
		131060: ClassPermanent, // inbound unavailable (async only)
		131063: ClassPermanent,
		131064: ClassPermanent,
		132000: ClassPermanent, // param count mismatch
		132001: ClassPermanent, // template does not exist
		132005: ClassPermanent, // hydrated text too long
		132007: ClassPermanent, // format character policy
		132012: ClassPermanent, // parameter format mismatch
		132015: ClassPermanent, // template paused
		132016: ClassPermanent, // template disabled
		132018: ClassPermanent, // template validation
		132068: ClassPermanent, // flow blocked
		132069: ClassBackOff,   // flow throttled
		133000: ClassAuth,      // incomplete deregistration
		133004: ClassRetry,     // server temporarily unavailable
		133005: ClassPermanent,
		133006: ClassPermanent,
		133007: ClassPermanent,
		133008: ClassPermanent,
		133009: ClassPermanent,
		133010: ClassAuth,    // number not registered
		133015: ClassBackOff, // wait before re-registering
		133016: ClassBackOff, // register/deregister rate limit
		135000: ClassPermanent,
		// Unknown codes.
		5:       ClassPermanent,
		803:     ClassPermanent,
		999999:  ClassPermanent,
		-1:      ClassPermanent,
		1234567: ClassPermanent,
	}
	for code, class := range want {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			if got := Classify(code); got != class {
				t.Errorf("Classify(%d) = %s, want %s", code, got, class)
			}
			if got := (WebhookError{Code: code}).Class(); got != class {
				t.Errorf("WebhookError{%d}.Class() = %s, want %s", code, got, class)
			}
			w := SuggestedWait(code, 0)
			switch class {
			case ClassRetry, ClassBackOff:
				if w <= 0 {
					t.Errorf("SuggestedWait(%d, 0) = %v, want > 0", code, w)
				}
			default:
				if w != 0 {
					t.Errorf("SuggestedWait(%d, 0) = %v, want 0", code, w)
				}
			}
		})
	}
	// Every code in the table is covered above.
	for code := range codes {
		if _, ok := want[code]; !ok {
			t.Errorf("code %d is classified but not tested", code)
		}
	}
}

func TestSuggestedWait(t *testing.T) {
	t.Parallel()
	s := time.Second
	cases := []struct {
		code    int
		attempt int
		want    time.Duration
	}{
		// 131056: Meta's 4^X seconds.
		{131056, 0, 1 * s}, {131056, 1, 4 * s}, {131056, 2, 16 * s}, {131056, 3, 64 * s},
		{131056, 4, 256 * s}, {131056, 5, 1024 * s}, {131056, 9, 1024 * s},
		{130429, 0, s}, {130429, 3, 8 * s}, {130429, 30, time.Minute},
		{80007, 0, time.Minute}, {80007, 10, time.Hour},
		{4, 1, 2 * time.Minute},
		{131049, 0, 24 * time.Hour}, {131049, 5, 24 * time.Hour},
		{131048, 0, 15 * time.Minute}, {131048, 10, 6 * time.Hour},
		{131057, 0, 15 * s},
		{131000, 0, s}, {131000, 2, 4 * s}, {131000, 100, time.Minute},
		{131000, -3, s},
		{131047, 3, 0}, {131026, 0, 0}, {190, 0, 0},
	}
	for _, c := range cases {
		if got := SuggestedWait(c.code, c.attempt); got != c.want {
			t.Errorf("SuggestedWait(%d, %d) = %v, want %v", c.code, c.attempt, got, c.want)
		}
	}
}

func TestAPIError(t *testing.T) {
	t.Parallel()
	yes := true
	cases := []struct {
		name      string
		err       *APIError
		wantText  string
		wantClass Class
		wantWait0 time.Duration
	}{
		{
			name: "whatsapp code with prefix and details",
			err: &APIError{HTTPStatus: 400, Graph: GraphError{Message: "(#130429) Rate limit hit", Type: "OAuthException", Code: 130429,
				ErrorData: &ErrorData{MessagingProduct: "whatsapp", Details: "Cloud API message throughput has been reached."}}},
			wantText:  "(#130429) Rate limit hit: Cloud API message throughput has been reached.",
			wantClass: ClassBackOff, wantWait0: time.Second,
		},
		{
			name:      "graph token error without prefix",
			err:       &APIError{HTTPStatus: 401, Graph: GraphError{Message: "Error validating access token: Session has expired", Code: 190, ErrorSubcode: 463}},
			wantText:  "(#190) Error validating access token: Session has expired",
			wantClass: ClassAuth,
		},
		{
			name:      "needs template regardless of HTTP 500",
			err:       &APIError{HTTPStatus: 500, Graph: GraphError{Message: "(#131047) Re-engagement message", Code: 131047}},
			wantText:  "(#131047) Re-engagement message",
			wantClass: ClassNeedsTemplate,
		},
		{
			name:      "unknown transient code retries",
			err:       &APIError{HTTPStatus: 400, Graph: GraphError{Message: "Something", Code: 4242, IsTransient: &yes}},
			wantText:  "(#4242) Something",
			wantClass: ClassRetry, wantWait0: time.Second,
		},
		{
			name:      "known permanent code ignores is_transient",
			err:       &APIError{HTTPStatus: 400, Graph: GraphError{Message: "Invalid parameter", Code: 100, IsTransient: &yes}},
			wantText:  "(#100) Invalid parameter",
			wantClass: ClassPermanent,
		},
		{
			name:      "server hint outweighs the table",
			err:       &APIError{HTTPStatus: 400, Graph: GraphError{Code: 80007, Message: "limit"}, RetryAfter: 10 * time.Minute},
			wantText:  "(#80007) limit",
			wantClass: ClassBackOff, wantWait0: 10 * time.Minute,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.err.Error(); got != c.wantText {
				t.Errorf("Error() = %q, want %q", got, c.wantText)
			}
			if got := c.err.Class(); got != c.wantClass {
				t.Errorf("Class() = %s, want %s", got, c.wantClass)
			}
			if got := ClassOf(fmt.Errorf("send: %w", c.err)); got != c.wantClass {
				t.Errorf("ClassOf(wrapped) = %s, want %s", got, c.wantClass)
			}
			if got := c.err.Wait(0); got != c.wantWait0 {
				t.Errorf("Wait(0) = %v, want %v", got, c.wantWait0)
			}
		})
	}
}

func TestClassOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want Class
	}{
		{"nil", nil, ""},
		{"transport", &TransportError{Op: "send", Err: &net.OpError{Op: "dial", Err: errors.New("refused")}}, ClassRetry},
		{"deadline", fmt.Errorf("send: %w", context.DeadlineExceeded), ClassRetry},
		{"canceled", context.Canceled, ClassRetry},
		{"plain", errors.New("boom"), ClassRetry},
		{"502 html", &ResponseError{HTTPStatus: 502, Body: "<html>"}, ClassRetry},
		{"503 empty", &ResponseError{HTTPStatus: 503}, ClassRetry},
		{"429 proxy", &ResponseError{HTTPStatus: 429}, ClassRetry},
		{"408", &ResponseError{HTTPStatus: 408}, ClassRetry},
		{"200 garbage", &ResponseError{HTTPStatus: 200, Err: ErrUnsuccessful}, ClassRetry},
		{"404 html", &ResponseError{HTTPStatus: 404, Body: "<html>"}, ClassPermanent},
		{"validation", (&SendRequest{}).Validate(), ClassPermanent},
		{"field", &FieldError{Field: "x", Err: ErrRequired}, ClassPermanent},
		{"parse", &ParseError{Field: "body", Err: errors.New("bad")}, ClassPermanent},
		{"no waba", fmt.Errorf("list: %w", ErrNoWABA), ClassAuth},
		{"api", &APIError{Graph: GraphError{Code: 131056}}, ClassBackOff},
	}
	for _, c := range cases {
		if got := ClassOf(c.err); got != c.want {
			t.Errorf("%s: ClassOf = %q, want %q", c.name, got, c.want)
		}
	}
	if got := RetryAfter(&TransportError{Err: errors.New("x")}, 2); got != 4*time.Second {
		t.Errorf("RetryAfter(transport, 2) = %v", got)
	}
	if got := RetryAfter(&APIError{Graph: GraphError{Code: 131056}}, 2); got != 16*time.Second {
		t.Errorf("RetryAfter(131056, 2) = %v", got)
	}
	if got := RetryAfter(&APIError{Graph: GraphError{Code: 131026}}, 2); got != 0 {
		t.Errorf("RetryAfter(131026, 2) = %v", got)
	}
}
