package emulator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parley-hub/parley/core/whatsapp"
)

// TestTemplateList checks fields, the status filter, and cursor paging.
func TestTemplateList(t *testing.T) {
	t.Parallel()
	var seeds []TemplateSeed
	for _, n := range []string{"a_one", "b_two", "c_three", "d_four", "e_five"} {
		seeds = append(seeds, TemplateSeed{Name: n, Language: "en_US", Body: "Hi {{1}}"})
	}
	seeds[2].Status = "PAUSED"
	seeds[3].Body, seeds[3].Category = "Hi {{first_name}}", "MARKETING"
	h := newHarness(t, func(c *Config) { c.Templates = seeds })
	base := "/v23.0/" + DefaultWABAID + "/message_templates"

	var names []string
	next := base + "?limit=2&fields=name,status,parameter_format"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		status, out, _ := h.do(t, http.MethodGet, next, nil)
		if status != 200 {
			t.Fatalf("HTTP %d %s", status, out)
		}
		var list struct {
			Data   []map[string]any `json:"data"`
			Paging *whatsapp.Paging `json:"paging"`
		}
		if err := json.Unmarshal(out, &list); err != nil {
			t.Fatal(err)
		}
		for _, d := range list.Data {
			keys := make([]string, 0, len(d))
			for k := range d {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, []string{"id", "name", "parameter_format", "status"}) {
				t.Errorf("fields %v", keys)
			}
			names = append(names, d["name"].(string))
		}
		next = ""
		if list.Paging != nil && list.Paging.Next != "" {
			u, _ := url.Parse(list.Paging.Next)
			next = u.RequestURI()
		}
	}
	if want := []string{"hello_world", "a_one", "b_two", "c_three", "d_four", "e_five"}; !slices.Equal(names, want) {
		t.Errorf("paged names %v, want %v", names, want)
	}

	status, out, _ := h.do(t, http.MethodGet, base+"?status=PAUSED", nil)
	var paused whatsapp.TemplateList
	_ = json.Unmarshal(out, &paused)
	if status != 200 || len(paused.Data) != 1 || paused.Data[0].Name != "c_three" || paused.Data[0].Status != "PAUSED" {
		t.Errorf("status filter: HTTP %d %s", status, out)
	}

	status, out, _ = h.do(t, http.MethodGet, base+"?name=d_four", nil)
	var named whatsapp.TemplateList
	_ = json.Unmarshal(out, &named)
	if status != 200 || len(named.Data) != 1 || named.Data[0].ParameterFormat != "NAMED" || named.Data[0].Category != "MARKETING" ||
		len(named.Data[0].Components) != 1 || named.Data[0].Language != "en_US" {
		t.Errorf("d_four: %s", out)
	}

	status, out, _ = h.do(t, http.MethodGet, "/v23.0/"+named.Data[0].ID+"?fields=status", nil)
	if status != 200 || strings.TrimSpace(string(out)) != `{"id":"`+named.Data[0].ID+`","status":"APPROVED"}` {
		t.Errorf("GET template by id: HTTP %d %s", status, out)
	}
	status, out, _ = h.do(t, http.MethodGet, base+"?fields=nope", nil)
	if status != 400 {
		t.Errorf("unknown field: HTTP %d %s", status, out)
	}
	checkEnvelope(t, out, 100)
}

// TestMedia uploads, reads, downloads and deletes media, and checks the
// upload errors.
func TestMedia(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	data := []byte("\xff\xd8\xff\xe0 not really a jpeg")
	id := h.upload(t, "image/jpeg", data)

	status, out, _ := h.do(t, http.MethodGet, "/v23.0/"+id, nil)
	if status != 200 {
		t.Fatalf("GET media: HTTP %d %s", status, out)
	}
	var got map[string]string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	dl := got["url"]
	delete(got, "url")
	want := map[string]string{"messaging_product": "whatsapp", "mime_type": "image/jpeg", "sha256": hex.EncodeToString(sum[:]),
		"file_size": strconv.Itoa(len(data)), "id": id}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("media (-want +got):\n%s", diff)
	}

	req, _ := http.NewRequest(http.MethodGet, dl, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("download without the token: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(data) || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("download: HTTP %d %q", resp.StatusCode, body)
	}

	h.say(t, testPhone)
	h.mustSend(t, map[string]any{"messaging_product": "whatsapp", "to": testPhone, "type": "image", "image": map[string]any{"id": id}})

	status, out, _ = h.do(t, http.MethodDelete, "/v23.0/"+id, nil)
	if status != 200 || strings.TrimSpace(string(out)) != `{"success":true}` {
		t.Errorf("DELETE: HTTP %d %s", status, out)
	}
	status, out, _ = h.do(t, http.MethodGet, "/v23.0/"+id, nil)
	if status != 400 {
		t.Errorf("GET deleted media: HTTP %d %s", status, out)
	}
	checkEnvelope(t, out, 100)

	for _, tc := range []struct {
		name, typ, part string
		size            int
		code            int
	}{
		{"unsupported type", "image/gif", "image/gif", 10, 131053},
		{"type mismatch", "image/png", "image/jpeg", 10, 131053},
		{"image over 5 MB", "image/png", "image/png", 5*mb + 1, 131053},
		{"static sticker over 100 KB", "image/webp", "image/webp", 100<<10 + 1, 131053},
	} {
		status, out := h.uploadRaw(t, tc.typ, tc.part, make([]byte, tc.size))
		if status != 400 {
			t.Errorf("%s: HTTP %d %s", tc.name, status, out)
		}
		checkEnvelope(t, out, tc.code)
	}
}

// TestControl drives the control API through the Go client.
func TestControl(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.ReadAfter = -1 })
	ctx := context.Background()
	ctl := &Control{BaseURL: h.srv.URL}

	in, err := ctl.Say(ctx, testPhone, "Sheena Nelson", "Hi!")
	if err != nil || !strings.HasPrefix(in, "wamid.") {
		t.Fatalf("Say: %q %v", in, err)
	}
	out := h.mustSend(t, text("+1 (650) 555-1234", "Hello Sheena"))
	h.mustSend(t, tmpl("+16505550000", "hello_world", "en_US"))

	list, err := ctl.Messages(ctx, MessageQuery{To: "16505551234"})
	if err != nil {
		t.Fatal(err)
	}
	if list.Count != 1 || list.Messages[0].ID != out || list.Messages[0].To != "+1 (650) 555-1234" ||
		list.Messages[0].Type != "text" || !strings.Contains(string(list.Messages[0].Request), "Hello Sheena") {
		t.Errorf("messages to the customer: %+v", list)
	}
	if all, _ := ctl.Messages(ctx, MessageQuery{Direction: "all"}); all.Count != 3 {
		t.Errorf("all messages: count %d, want 3", all.Count)
	}
	if last, _ := ctl.Messages(ctx, MessageQuery{Limit: 1}); last.Count != 2 || len(last.Messages) != 1 || last.Messages[0].Type != "template" {
		t.Errorf("limit 1: %+v", last)
	}
	if inbound, _ := ctl.Messages(ctx, MessageQuery{Direction: "inbound"}); inbound.Count != 1 || inbound.Messages[0].ID != in ||
		inbound.Messages[0].Status != StatusReceived {
		t.Errorf("inbound: %+v", inbound)
	}

	if _, err := ctl.Receive(ctx, Inbound{From: "nope"}); !errors.Is(err, ErrControl) {
		t.Errorf("bad inbound: %v", err)
	}
	if _, err := ctl.Receive(ctx, Inbound{From: testPhone, ButtonReply: &whatsapp.ButtonReply{ID: "yes", Title: "Yes"}}); err != nil {
		t.Error(err)
	}

	f, err := ctl.SetFaults(ctx, Faults{FaultRate: 1, FaultKinds: []FaultKind{FaultCode(130429)}})
	if err != nil || f.FaultRate != 1 {
		t.Fatalf("SetFaults: %+v %v", f, err)
	}
	status, body := h.send(t, tmpl(testPhone, "hello_world", "en_US"))
	if status != 400 {
		t.Errorf("fault: HTTP %d %s", status, body)
	}
	checkEnvelope(t, body, 130429)
	if _, err := ctl.SetFaults(ctx, Faults{FaultKinds: []FaultKind{"boom"}}); !errors.Is(err, ErrControl) {
		t.Errorf("bad fault kind accepted: %v", err)
	}

	eventually(t, "statuses", func() bool {
		st, _ := ctl.Stats(ctx)
		return st.Statuses["delivered"] == 2 && st.Webhooks.Pending == 0
	})
	st, err := ctl.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.AcceptedTotal != 2 || st.Accepted["text"] != 1 || st.Accepted["template"] != 1 || st.Rejected["130429"] != 1 ||
		st.Inbound != 2 || st.Webhooks.Posts == 0 || st.Webhooks.Delivered != 6 {
		t.Errorf("stats %+v", st)
	}

	if err := ctl.SetRecipient(ctx, Recipient{WaID: "+16505550000", NotOnWhatsApp: true}); err != nil {
		t.Fatal(err)
	}
	if err := ctl.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := ctl.Stats(ctx); st.AcceptedTotal != 0 || st.Inbound != 0 {
		t.Errorf("stats after reset %+v", st)
	}
	if f := h.e.Faults(); f.FaultRate != 0 {
		t.Errorf("faults after reset %+v", f)
	}
	status, body = h.send(t, text(testPhone, "the window is gone"))
	if status != 400 {
		t.Errorf("after reset: HTTP %d %s", status, body)
	}
	checkEnvelope(t, body, 131047)

	if err := ctl.SetTemplateStatus(ctx, "no_such", "en_US", "PAUSED"); !errors.Is(err, ErrControl) {
		t.Errorf("unknown template: %v", err)
	}
	resp, err := http.Get(h.srv.URL + "/_emulator/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("index: %v", err)
	}
	resp.Body.Close()
}

// TestConfig checks defaults and that validation reports every problem.
func TestConfig(t *testing.T) {
	t.Parallel()
	_, err := New(Config{AccessToken: "", AppSecret: "", WebhookURL: "ftp://x", DropRate: 3,
		Templates: []TemplateSeed{{Name: "Bad-Name", Language: "en_US", Body: "x"}}})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("want ErrInvalidConfig, got %v", err)
	}
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if errors.As(e, &fe) {
			fields = append(fields, fe.Field)
		}
	}
	slices.Sort(fields)
	want := []string{"access_token", "app_secret", "drop_rate", "templates[0]", "webhook_url"}
	if !slices.Equal(fields, want) {
		t.Errorf("problems %v, want %v\n%v", fields, want, err)
	}

	e, err := New(Config{AccessToken: "secret-token", AppSecret: "secret-app"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.cfg
	if c.PhoneNumberID != DefaultPhoneNumberID || c.WABAID != DefaultWABAID || c.DisplayPhoneNumber != DefaultDisplayPhoneNumber ||
		c.Throughput != 80 || c.PairLimit.Burst != 45 || c.PairLimit.Interval != 6*time.Second || c.WebhookBatch != 1000 {
		t.Errorf("defaults %+v", c)
	}
	if s := c.LogValue().String(); strings.Contains(s, "secret-token") || strings.Contains(s, "secret-app") {
		t.Errorf("secrets in the log value: %s", s)
	}
}

// TestServe runs the emulator on a listener and shuts it down with ctx.
func TestServe(t *testing.T) {
	t.Parallel()
	e, err := New(Config{AccessToken: testToken, AppSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, ln) }()
	ctl := &Control{BaseURL: "http://" + ln.Addr().String()}
	if _, err := ctl.Say(context.Background(), testPhone, "", "hi"); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := e.Start(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after close: %v", err)
	}
	if st := e.Stats(); st.Webhooks.Lost != 1 {
		t.Errorf("the undelivered inbound webhook is not counted lost: %+v", st.Webhooks)
	}
}
