package sdk_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// Greeter is a whole connector: signed webhooks in, one event per delivery.
type Greeter struct{ secret []byte }

func (g *Greeter) Spec() sdk.Spec {
	return sdk.Spec{Name: "greeter", Version: "1.0.0", Description: "Greets new sign-ups.",
		Config: []sdk.Field{{Name: "secret", Description: "HMAC key of the X-Sig header.", Required: true, Secret: true}}}
}

func (g *Greeter) Configure(_ context.Context, cfg sdk.Config) error {
	g.secret = []byte(cfg.Get("secret"))
	return nil
}

func (g *Greeter) HandleWebhook(_ context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	sig, _ := hex.DecodeString(req.Header.Get("X-Sig"))
	if !sdk.VerifyHMACSHA256(g.secret, req.Body, sig) {
		return sdk.WebhookResult{}, sdk.ErrUnauthorized
	}
	var in struct{ ID, Phone, Name string }
	if err := json.Unmarshal(req.Body, &in); err != nil || in.ID == "" {
		return sdk.WebhookResult{}, fmt.Errorf("%w: want {id, phone, name}", sdk.ErrBadRequest)
	}
	return sdk.WebhookResult{Events: []sdk.Event{{Type: "user.signed_up", Source: "greeter", ID: in.ID,
		Contact: sdk.Contact{Phone: in.Phone, Name: in.Name}}}}, nil
}

// The connector's main is one line: sdk.Serve(&Greeter{}). Here the
// connector is called directly, as the conformance suite does in-process.
func Example() {
	g := &Greeter{}
	cfg, err := g.Spec().ParseConfig(map[string]string{"secret": "k"})
	if err != nil {
		panic(err)
	}
	_ = g.Configure(context.Background(), cfg)

	body := []byte(`{"id":"u1","phone":"+5511987654321","name":"Ana"}`)
	sig := hex.EncodeToString(sdk.SignHMACSHA256([]byte("k"), body))
	res, err := g.HandleWebhook(context.Background(), sdk.WebhookRequest{
		Method: "POST", Header: http.Header{"X-Sig": {sig}}, Body: body, ReceivedAt: time.Now()})
	fmt.Println(res.Events[0].Type, res.Events[0].ID, res.Events[0].Contact.Phone, err)

	_, err = g.HandleWebhook(context.Background(), sdk.WebhookRequest{Body: body})
	fmt.Println(err)
	// Output:
	// user.signed_up u1 +5511987654321 <nil>
	// unauthorized
}

func ExampleSpec_ParseConfig() {
	spec := sdk.Spec{Config: []sdk.Field{
		{Name: "secret", Description: "Signing key.", Required: true, Secret: true},
		{Name: "region", Description: "Default phone region.", Default: "BR"},
	}}
	_, err := spec.ParseConfig(map[string]string{"regoin": "PT"})
	fmt.Println(err)
	cfg, _ := spec.ParseConfig(map[string]string{"secret": "k"})
	fmt.Println(cfg.Get("region"))
	// Output:
	// config field "secret": is required: Signing key.
	// config field "regoin": unknown field; this connector takes secret, region
	// BR
}

func ExampleRetryableError() {
	err := fmt.Errorf("create ticket: %w", sdk.RetryableError{Err: fmt.Errorf("zendesk: 429"), After: 30 * time.Second})
	after, ok := sdk.IsRetryable(err)
	fmt.Println(ok, after)
	// Output: true 30s
}
