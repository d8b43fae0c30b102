package emulator_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

// Example wires the emulator the way the sandbox does: serve its handler,
// start it, point its webhooks at the receiver, then let a customer write
// and answer within the 24 h window.
func Example() {
	webhooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer webhooks.Close()

	emu, err := emulator.New(emulator.Config{AccessToken: "token", AppSecret: "secret"})
	if err != nil {
		panic(err)
	}
	api := httptest.NewServer(emu.Handler())
	defer api.Close()
	ctx := context.Background()
	if err := emu.Start(ctx); err != nil {
		panic(err)
	}
	defer emu.Close()
	_ = emu.SetWebhookURL(webhooks.URL)

	ctl := &emulator.Control{BaseURL: api.URL}
	if _, err := ctl.Say(ctx, "+16505551234", "Sheena Nelson", "Does it come in another color?"); err != nil {
		panic(err)
	}

	req, _ := http.NewRequest(http.MethodPost, api.URL+"/v23.0/"+emulator.DefaultPhoneNumberID+"/messages",
		strings.NewReader(`{"messaging_product":"whatsapp","to":"+16505551234","type":"text","text":{"body":"Yes, in blue."}}`))
	req.Header.Set("Authorization", "Bearer token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	list, _ := ctl.Messages(ctx, emulator.MessageQuery{To: "+16505551234"})
	fmt.Println(resp.StatusCode, list.Count, list.Messages[0].Type)
	// Output: 200 1 text
}
