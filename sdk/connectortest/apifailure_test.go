package connectortest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/configure"
	"github.com/parley-hub/parley/sdk/connectortest"
	"github.com/parley-hub/parley/sdk/fakeapi"
	"github.com/parley-hub/parley/sdk/rest"
)

// failures records what a check reports instead of failing.
type failures struct {
	testing.TB
	n int
}

func (f *failures) Helper()               {}
func (f *failures) Errorf(string, ...any) { f.n++ }
func (f *failures) Fatal(...any)          { f.n++ }

func TestCheckAPIFailure(t *testing.T) {
	t.Parallel()
	api := errors.New("acme GET /x: 503")
	cases := []struct {
		name      string
		err       error
		retryable bool
		after     time.Duration
		wantFails int
	}{
		{"retryable after the wait asked", sdk.RetryableError{Err: api, After: 7 * time.Second}, true, 7 * time.Second, 0},
		{"wrapped, any wait", fmt.Errorf("read contact: %w", sdk.RetryableError{Err: api}), true, -1, 0},
		{"not retryable, as wanted", api, false, 0, 0},
		{"another wait", sdk.RetryableError{Err: api, After: time.Second}, true, 7 * time.Second, 1},
		{"not retryable", api, true, 0, 1},
		{"retryable, unwanted", sdk.RetryableError{Err: api}, false, 0, 1},
		{"looks like a bad delivery", fmt.Errorf("%w: %w", sdk.ErrBadRequest, api), false, 0, 1},
		{"looks unauthorized", fmt.Errorf("%w: %w", sdk.ErrUnauthorized, api), false, 0, 1},
		{"no error", nil, false, 0, 1},
	}
	for _, tc := range cases {
		f := &failures{TB: t}
		connectortest.CheckAPIFailure(f, tc.err, tc.retryable, tc.after)
		if f.n != tc.wantFails {
			t.Errorf("%s: %d failures, want %d", tc.name, f.n, tc.wantFails)
		}
	}
}

// lookup is a connector whose webhook reads the contact it names from its
// vendor's API, built on sdk/rest, against an sdk/fakeapi fake.
type lookup struct {
	st configure.State[rest.Client]
}

var lookupFields = []sdk.Field{
	{Name: "api_url", Description: "API base URL.", Required: true},
	{Name: "api_token", Description: "API token.", Required: true, Secret: true},
}

func (l *lookup) Spec() sdk.Spec {
	return sdk.Spec{Name: "lookup", Version: "0.1.0", Description: "Reads the contact a webhook names.", Config: lookupFields}
}

func (l *lookup) Configure(_ context.Context, cfg sdk.Config) error {
	p := configure.NewParser(cfg, lookupFields)
	c := &rest.Client{API: "acme", BaseURL: p.String("api_url", configure.HTTPURL),
		Header: http.Header{"Authorization": {"Bearer " + p.String("api_token")}}}
	if err := p.Err(); err != nil {
		return err
	}
	l.st.Set(c)
	return nil
}

func (l *lookup) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	api, err := l.st.Get()
	if err != nil {
		return sdk.WebhookResult{}, err
	}
	if req.Header.Get("X-Token") != "signed" {
		return sdk.WebhookResult{}, sdk.ErrUnauthorized
	}
	var in struct{ ID string }
	if err := json.Unmarshal(req.Body, &in); err != nil || in.ID == "" {
		return sdk.WebhookResult{}, fmt.Errorf("%w: want {\"id\"}", sdk.ErrBadRequest)
	}
	var contact struct{ Phone string }
	if _, err := api.Do(ctx, http.MethodGet, "/v1/contacts/"+in.ID, nil, nil, &contact); err != nil {
		return sdk.WebhookResult{}, fmt.Errorf("read contact %s: %w", in.ID, err)
	}
	return sdk.WebhookResult{Events: []sdk.Event{{Type: "contact.seen", Source: "lookup", ID: in.ID,
		Contact: sdk.Contact{Phone: contact.Phone}}}}, nil
}

func lookupFeatures(t *testing.T) connectortest.Features {
	delivery := func(token, body string) func() sdk.WebhookRequest {
		return func() sdk.WebhookRequest {
			return sdk.WebhookRequest{Method: "POST", Header: http.Header{"X-Token": {token}}, Body: []byte(body)}
		}
	}
	fake := func(t *testing.T, faults ...fakeapi.Fault) *fakeapi.Server {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /v1/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
			fakeapi.WriteJSON(w, http.StatusOK, map[string]string{"phone": "+5511987654321"})
		})
		s := fakeapi.New(t, mux, fakeapi.Options{Authorization: "Bearer t0ken-for-tests"})
		s.Fail(faults...)
		return s
	}
	config := func(token string, faults ...fakeapi.Fault) func(t *testing.T) sdk.Config {
		return func(t *testing.T) sdk.Config {
			return sdk.Config{"api_url": fake(t, faults...).URL, "api_token": token}
		}
	}
	return connectortest.Features{
		Webhooks:         true,
		Config:           config("t0ken-for-tests")(t),
		ValidWebhook:     delivery("signed", `{"id":"7"}`),
		ForgedWebhook:    delivery("forged", `{"id":"7"}`),
		MalformedWebhook: delivery("signed", `{"id":`),
		WebhookAPIFailures: []connectortest.APIFailure{
			{Name: "429 with Retry-After", Config: config("t0ken-for-tests", fakeapi.Fault{Status: 429, RetryAfter: "7"}), Retryable: true, RetryAfter: 7 * time.Second},
			{Name: "503", Config: config("t0ken-for-tests", fakeapi.Fault{Path: "/v1/contacts/", Status: 503}), Retryable: true},
			{Name: "revoked token", Config: config("revoked-t0ken")},
		},
	}
}

// TestSuiteWithAPI runs the suite on a connector that calls an API, so
// that every WebhookAPIFailures case runs, in-process and over gRPC (where
// the wait a RetryableError asks for must survive the trip).
func TestSuiteWithAPI(t *testing.T) {
	newC := func(*testing.T) sdk.Connector { return &lookup{} }
	t.Run("in-process", func(t *testing.T) { connectortest.Run(t, lookupFeatures(t), newC) })
	t.Run("grpc", func(t *testing.T) { connectortest.RunGRPC(t, lookupFeatures(t), newC) })
}
