package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	testToken = "EAAGtestTOKENsecret0123456789"
	testPN    = "106540352242922"
	testWABA  = "102290129340398"
)

// recorded is one request the fake Graph server saw.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// fakeGraph is an httptest server that records requests and answers with
// a handler.
type fakeGraph struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFakeGraph(t *testing.T, h func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeGraph {
	t.Helper()
	f := &fakeGraph{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		f.mu.Unlock()
		h(w, r, body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGraph) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fakeGraph) client(t *testing.T, mod ...func(*ClientConfig)) *Client {
	t.Helper()
	cfg := ClientConfig{BaseURL: f.srv.URL, PhoneNumberID: testPN, WABAID: testWABA, AccessToken: testToken, Timeout: 2 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func replyJSON(status int, body string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSendBodies(t *testing.T) {
	t.Parallel()
	okResp := string(readFile(t, "testdata/spec/send_responses/example-response.json"))
	cases := []struct {
		name string
		req  *SendRequest
		want string
	}{
		{
			name: "text",
			req:  NewText("+16505551234", "Does it come in another color?"),
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"text","text":{"body":"Does it come in another color?"}}`,
		},
		{
			name: "template positional",
			req:  NewTemplate("+16505551234", "order_confirmation", "en_US", TextParam("Jessica"), TextParam("SKBUP2")),
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"template","template":{"name":"order_confirmation","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"Jessica"},{"type":"text","text":"SKBUP2"}]}]}}`,
		},
		{
			name: "template named",
			req:  NewTemplate("+16505551234", "order_confirmation", "en_US", NamedParam("order_number", "SKBUP2")),
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"template","template":{"name":"order_confirmation","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","parameter_name":"order_number","text":"SKBUP2"}]}]}}`,
		},
		{
			name: "template without parameters",
			req:  NewTemplate("+16505551234", "hello_world", "en_US"),
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"template","template":{"name":"hello_world","language":{"code":"en_US"}}}`,
		},
		{
			name: "document by link",
			req:  NewMedia("+16505551234", TypeDocument, Media{Link: "https://example.com/invoice.pdf", Caption: "Invoice", Filename: "invoice.pdf"}),
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"document","document":{"link":"https://example.com/invoice.pdf","caption":"Invoice","filename":"invoice.pdf"}}`,
		},
		{
			name: "image by id",
			req:  NewMedia("+16505551234", TypeImage, Media{ID: "1037543291543636"}),
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"image","image":{"id":"1037543291543636"}}`,
		},
		{
			name: "buttons",
			req:  NewButtons("+16505551234", "Confirm?", ButtonReply{ID: "yes", Title: "Yes"}, ButtonReply{ID: "no", Title: "No"}),
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"interactive","interactive":{"type":"button","body":{"text":"Confirm?"},"action":{"buttons":[{"type":"reply","reply":{"id":"yes","title":"Yes"}},{"type":"reply","reply":{"id":"no","title":"No"}}]}}}`,
		},
		{
			name: "list",
			req: NewList("+16505551234", "Pick a shipping option", "Options",
				Section{Title: "Fast", Rows: []Row{{ID: "priority_express", Title: "Priority Mail Express", Description: "Next Day to 2 Days"}}}),
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"interactive","interactive":{"type":"list","body":{"text":"Pick a shipping option"},"action":{"button":"Options","sections":[{"title":"Fast","rows":[{"id":"priority_express","title":"Priority Mail Express","description":"Next Day to 2 Days"}]}]}}}`,
		},
		{
			name: "reaction",
			req:  NewReaction("+16505551234", "wamid.HBgLM", "😀"),
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"reaction","reaction":{"message_id":"wamid.HBgLM","emoji":"😀"}}`,
		},
		{
			name: "reaction removed keeps empty emoji",
			req:  NewReaction("+16505551234", "wamid.HBgLM", ""),
			want: `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234","type":"reaction","reaction":{"message_id":"wamid.HBgLM","emoji":""}}`,
		},
		{
			name: "type and product filled in",
			req:  &SendRequest{To: "16505551234", Text: &Text{Body: "hi", PreviewURL: true}},
			want: `{"messaging_product":"whatsapp","to":"16505551234","type":"text","text":{"body":"hi","preview_url":true}}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeGraph(t, replyJSON(200, okResp))
			before, _ := json.Marshal(c.req)
			resp, err := f.client(t).Send(context.Background(), c.req)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if resp.Messages[0].ID != "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA" || resp.Contacts[0].WaID != "16505551234" {
				t.Errorf("response = %+v", resp)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != "/v23.0/"+testPN+"/messages" {
				t.Errorf("request %s %s", r.Method, r.Path)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
				t.Errorf("Authorization = %q", got)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			if diff := cmp.Diff(c.want, string(r.Body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			after, _ := json.Marshal(c.req)
			if !bytes.Equal(before, after) {
				t.Errorf("Send modified the caller's request:\n%s\n%s", before, after)
			}
		})
	}
}

func TestSendRejectsInvalidWithoutCalling(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, replyJSON(200, `{}`))
	req := NewButtons("+1", "Pick", ButtonReply{"a", "A"}, ButtonReply{"b", "B"}, ButtonReply{"c", "C"}, ButtonReply{"d", "D"})
	_, err := f.client(t).Send(context.Background(), req)
	if err == nil || err.Error() != "interactive.action.buttons[3]: at most 3 buttons" {
		t.Fatalf("err = %v", err)
	}
	if ClassOf(err) != ClassPermanent {
		t.Errorf("class = %s", ClassOf(err))
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestReceipts(t *testing.T) {
	t.Parallel()
	const wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA="
	cases := []struct {
		name     string
		call     func(*Client) error
		resp     string
		wantBody string
		wantErr  error
	}{
		{
			name:     "mark read",
			call:     func(c *Client) error { return c.MarkRead(context.Background(), wamid) },
			resp:     `{"success":true}`,
			wantBody: `{"messaging_product":"whatsapp","status":"read","message_id":"` + wamid + `"}`,
		},
		{
			name:     "typing",
			call:     func(c *Client) error { return c.ShowTyping(context.Background(), wamid) },
			resp:     string(readFile(t, "testdata/spec/send_responses/send-typing-indicator-and-read-receipt.json")),
			wantBody: `{"messaging_product":"whatsapp","status":"read","message_id":"` + wamid + `","typing_indicator":{"type":"text"}}`,
		},
		{
			name:     "not successful",
			call:     func(c *Client) error { return c.MarkRead(context.Background(), wamid) },
			resp:     `{"success":false}`,
			wantBody: `{"messaging_product":"whatsapp","status":"read","message_id":"` + wamid + `"}`,
			wantErr:  ErrUnsuccessful,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeGraph(t, replyJSON(200, c.resp))
			err := c.call(f.client(t))
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if got := string(f.requests()[0].Body); got != c.wantBody {
				t.Errorf("body = %s\nwant   %s", got, c.wantBody)
			}
		})
	}
	// An empty wamid is refused locally.
	f := newFakeGraph(t, replyJSON(200, `{"success":true}`))
	if err := f.client(t).MarkRead(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "message_id") {
		t.Errorf("MarkRead(\"\") = %v", err)
	}
}

// TestSpecErrorEnvelopes serves every Graph error example of the spec, with
// statuses that contradict the code, and checks the client returns an
// *APIError classified by the code.
func TestSpecErrorEnvelopes(t *testing.T) {
	t.Parallel()
	var envs []json.RawMessage
	if err := json.Unmarshal(readFile(t, "testdata/spec/errors.json"), &envs); err != nil {
		t.Fatal(err)
	}
	if len(envs) < 20 {
		t.Fatalf("only %d envelopes", len(envs))
	}
	for i, env := range envs {
		for _, status := range []int{400, 500} {
			t.Run(fmt.Sprintf("%d/%d", i, status), func(t *testing.T) {
				t.Parallel()
				var want ErrorEnvelope
				dec := json.NewDecoder(bytes.NewReader(env))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&want); err != nil {
					t.Fatalf("decode %s: %v", env, err)
				}
				f := newFakeGraph(t, replyJSON(status, string(env)))
				_, err := f.client(t).Send(context.Background(), NewText("+16505551234", "hi"))
				api, ok := errors.AsType[*APIError](err)
				if !ok {
					t.Fatalf("err = %T %v, want *APIError", err, err)
				}
				if diff := cmp.Diff(want.Error, api.Graph); diff != "" {
					t.Errorf("Graph (-want +got):\n%s", diff)
				}
				if api.HTTPStatus != status {
					t.Errorf("HTTPStatus = %d", api.HTTPStatus)
				}
				wantClass := Classify(want.Error.Code)
				if _, known := codes[want.Error.Code]; !known && want.Error.Code/100 != 2 && want.Error.IsTransient != nil && *want.Error.IsTransient {
					wantClass = ClassRetry
				}
				if got := ClassOf(err); got != wantClass {
					t.Errorf("ClassOf = %s, want %s (code %d)", got, wantClass, want.Error.Code)
				}
				if !strings.HasPrefix(err.Error(), fmt.Sprintf("(#%d) ", want.Error.Code)) {
					t.Errorf("Error() = %q", err.Error())
				}
			})
		}
	}
}

func TestWhatsAppErrorEnvelopes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		class  Class
		text   string
		wait1  time.Duration
	}{
		{
			name:   "throughput (PROTOCOL §2.1 verbatim)",
			status: 400,
			body:   `{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"error_subcode":2494055,"error_data":{"messaging_product":"whatsapp","details":"Cloud API message throughput has been reached."},"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}`,
			class:  ClassBackOff,
			text:   "(#130429) Rate limit hit: Cloud API message throughput has been reached.",
			wait1:  2 * time.Second,
		},
		{
			name:   "pair limit with HTTP 429",
			status: 429,
			body:   `{"error":{"message":"(#131056) (Business Account, Consumer Account) pair rate limit hit","type":"OAuthException","code":131056,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."},"fbtrace_id":"A1"}}`,
			class:  ClassBackOff,
			text:   "(#131056) (Business Account, Consumer Account) pair rate limit hit: Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
			wait1:  4 * time.Second,
		},
		{
			name:   "window closed",
			status: 400,
			body:   `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},"fbtrace_id":"A2"}}`,
			class:  ClassNeedsTemplate,
			text:   "(#131047) Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
		},
		{
			name:   "template missing with HTTP 404",
			status: 404,
			body:   `{"error":{"message":"(#132001) Template name does not exist in the translation","type":"OAuthException","code":132001,"error_data":{"messaging_product":"whatsapp","details":"template name (order_update) does not exist in en_US"},"fbtrace_id":"A3"}}`,
			class:  ClassPermanent,
			text:   "(#132001) Template name does not exist in the translation: template name (order_update) does not exist in en_US",
		},
		{
			name:   "unknown error with HTTP 500",
			status: 500,
			body:   `{"error":{"message":"(#131000) Something went wrong","type":"OAuthException","code":131000,"fbtrace_id":"A4"}}`,
			class:  ClassRetry,
			text:   "(#131000) Something went wrong",
			wait1:  2 * time.Second,
		},
		{
			name:   "permission problem with HTTP 500",
			status: 500,
			body:   `{"error":{"message":"(#3) Application does not have the capability to make this API call.","type":"OAuthException","code":3,"fbtrace_id":"A5"}}`,
			class:  ClassAuth,
			text:   "(#3) Application does not have the capability to make this API call.",
		},
		{
			name:   "WABA limit with usage header",
			status: 400,
			header: http.Header{"X-Business-Use-Case-Usage": {`{"102290129340398":[{"type":"whatsapp_business_management","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":30}]}`}},
			body:   `{"error":{"message":"Business request limit reached","type":"OAuthException","code":80007,"is_transient":true}}`,
			class:  ClassBackOff,
			text:   "(#80007) Business request limit reached",
			wait1:  30 * time.Minute,
		},
		{
			name:   "Retry-After header",
			status: 400,
			header: http.Header{"Retry-After": {"7"}},
			body:   `{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429}}`,
			class:  ClassBackOff,
			text:   "(#130429) Rate limit hit",
			wait1:  7 * time.Second,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				for k, v := range c.header {
					w.Header()[k] = v
				}
				replyJSON(c.status, c.body)(w, r, nil)
			})
			_, err := f.client(t).Send(context.Background(), NewText("+16505551234", "hi"))
			if got := ClassOf(err); got != c.class {
				t.Errorf("ClassOf = %s, want %s", got, c.class)
			}
			if err == nil || err.Error() != c.text {
				t.Errorf("Error() = %v\nwant      %s", err, c.text)
			}
			if got := RetryAfter(err, 1); got != c.wait1 {
				t.Errorf("RetryAfter(err, 1) = %v, want %v", got, c.wait1)
			}
		})
	}
}

func TestUnusableResponses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		class  Class
		is     error
	}{
		{"502 html", 502, "<html><body>Bad Gateway</body></html>", ClassRetry, nil},
		{"503 empty", 503, "", ClassRetry, nil},
		{"404 html", 404, "<html>not found</html>", ClassPermanent, nil},
		{"400 json without error", 400, `{"message":"nope"}`, ClassPermanent, nil},
		{"200 garbage", 200, "<html>", ClassRetry, nil},
		{"200 without message id", 200, `{"messaging_product":"whatsapp","contacts":[],"messages":[]}`, ClassRetry, ErrUnsuccessful},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeGraph(t, replyJSON(c.status, c.body))
			_, err := f.client(t).Send(context.Background(), NewText("+16505551234", "hi"))
			re, ok := errors.AsType[*ResponseError](err)
			if !ok {
				t.Fatalf("err = %T %v, want *ResponseError", err, err)
			}
			if re.HTTPStatus != c.status {
				t.Errorf("HTTPStatus = %d", re.HTTPStatus)
			}
			if got := ClassOf(err); got != c.class {
				t.Errorf("ClassOf = %s, want %s", got, c.class)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("err = %v, want %v", err, c.is)
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		c := f.client(t, func(cfg *ClientConfig) { cfg.Timeout = 50 * time.Millisecond })
		start := time.Now()
		_, err := c.Send(context.Background(), NewText("+16505551234", "hi"))
		if _, ok := errors.AsType[*TransportError](err); !ok {
			t.Fatalf("err = %T %v", err, err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want deadline exceeded", err)
		}
		if ClassOf(err) != ClassRetry {
			t.Errorf("class = %s", ClassOf(err))
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t, replyJSON(200, `{}`))
		c := f.client(t)
		f.srv.Close()
		_, err := c.Send(context.Background(), NewText("+16505551234", "hi"))
		if _, ok := errors.AsType[*TransportError](err); !ok || ClassOf(err) != ClassRetry {
			t.Fatalf("err = %T %v, class %s", err, err, ClassOf(err))
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t, replyJSON(200, `{}`))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := f.client(t).Send(ctx, NewText("+16505551234", "hi"))
		if !errors.Is(err, context.Canceled) || ClassOf(err) != ClassRetry {
			t.Fatalf("err = %v, class %s", err, ClassOf(err))
		}
	})
}

func TestTokenNeverLeaks(t *testing.T) {
	t.Parallel()
	bodies := []struct {
		status int
		body   string
	}{
		{400, `{"error":{"message":"Malformed access token ` + testToken + `","type":"OAuthException","code":190,"error_user_msg":"token ` + testToken + `","error_user_title":"` + testToken + `","error_data":{"details":"` + testToken + `"}}}`},
		{502, `<html>echo: Bearer ` + testToken + `</html>`},
		{200, `not json ` + testToken},
	}
	for _, b := range bodies {
		f := newFakeGraph(t, replyJSON(b.status, b.body))
		_, err := f.client(t).Send(context.Background(), NewText("+16505551234", "hi"))
		if err == nil {
			t.Fatal("no error")
		}
		if s := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(s, testToken) {
			t.Errorf("token in error: %s", s)
		}
		if api, ok := errors.AsType[*APIError](err); ok {
			if s := fmt.Sprintf("%+v %+v", api.Graph, *api.Graph.ErrorData); strings.Contains(s, testToken) {
				t.Errorf("token in Graph: %s", s)
			}
		}
	}

	cfg := ClientConfig{AccessToken: testToken, PhoneNumberID: testPN}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), logged.String()} {
		if strings.Contains(s, testToken) {
			t.Errorf("token printed: %s", s)
		}
	}

	// Invalid configs do not print the token either.
	_, err := NewClient(ClientConfig{AccessToken: testToken, BaseURL: "ftp://x"})
	if err == nil || strings.Contains(err.Error(), testToken) {
		t.Errorf("NewClient error = %v", err)
	}
}

func TestListTemplatesPaging(t *testing.T) {
	t.Parallel()
	var f *fakeGraph
	f = newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		var body string
		switch r.URL.Query().Get("after") {
		case "":
			// Graph's own next link, same origin, carrying a token the client must strip.
			body = `{"data":[{"name":"hello_world","parameter_format":"POSITIONAL","components":[{"type":"BODY","text":"Hello World"}],"language":"en_US","status":"APPROVED","category":"UTILITY","id":"1"},
			                 {"name":"order_confirmation","language":"en_US","status":"PENDING","category":"UTILITY","id":"2"}],
			         "paging":{"cursors":{"before":"B1","after":"C1"},"next":"` + f.srv.URL + `/v23.0/` + testWABA + `/message_templates?fields=name%2Cstatus&limit=2&after=C1&access_token=LEAKED"}}`
		case "C1":
			// A next link to another host: the client must not follow it with the token.
			body = `{"data":[{"name":"shipping_update","language":"pt_BR","status":"APPROVED","category":"UTILITY","parameter_format":"NAMED","id":"3"}],
			         "paging":{"cursors":{"before":"B2","after":"C2"},"next":"https://evil.example/v23.0/` + testWABA + `/message_templates?after=C2"}}`
		case "C2":
			body = `{"data":[{"name":"promo","language":"es","status":"REJECTED","category":"MARKETING","id":"4"}],"paging":{"cursors":{"before":"B3","after":"C3"}}}`
		default:
			body = `{"data":[]}`
		}
		replyJSON(200, body)(w, r, nil)
	})
	got, err := f.client(t).ListTemplates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tpl := range got {
		names = append(names, tpl.Name+"/"+tpl.Language+"/"+tpl.Status)
	}
	want := []string{"hello_world/en_US/APPROVED", "order_confirmation/en_US/PENDING", "shipping_update/pt_BR/APPROVED", "promo/es/REJECTED"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("templates (-want +got):\n%s", diff)
	}
	if got[0].ParameterFormat != "POSITIONAL" || len(got[0].Components) != 1 || got[0].ID != "1" {
		t.Errorf("first template = %+v", got[0])
	}
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	wantQueries := []string{
		"fields=name%2Cstatus%2Ccategory%2Clanguage%2Ccomponents%2Cparameter_format&limit=100",
		"after=C1&fields=name%2Cstatus&limit=2",
		"after=C2&fields=name%2Cstatus%2Ccategory%2Clanguage%2Ccomponents%2Cparameter_format&limit=100",
	}
	for i, r := range reqs {
		if r.Method != http.MethodGet || r.Path != "/v23.0/"+testWABA+"/message_templates" {
			t.Errorf("request %d: %s %s", i, r.Method, r.Path)
		}
		if r.RawQuery != wantQueries[i] {
			t.Errorf("request %d query = %s\nwant %s", i, r.RawQuery, wantQueries[i])
		}
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			t.Errorf("request %d: Authorization %q", i, r.Header.Get("Authorization"))
		}
	}
}

func TestListTemplatesErrors(t *testing.T) {
	t.Parallel()
	t.Run("loop", func(t *testing.T) {
		t.Parallel()
		var f *fakeGraph
		f = newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			replyJSON(200, `{"data":[{"name":"a","id":"1"}],"paging":{"cursors":{"after":"SAME"},"next":"`+f.srv.URL+`/v23.0/`+testWABA+`/message_templates?after=SAME"}}`)(w, r, nil)
		})
		_, err := f.client(t).ListTemplates(context.Background())
		if !errors.Is(err, ErrPaging) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no waba", func(t *testing.T) {
		t.Parallel()
		f := newFakeGraph(t, replyJSON(200, `{"data":[]}`))
		_, err := f.client(t, func(c *ClientConfig) { c.WABAID = "" }).ListTemplates(context.Background())
		if !errors.Is(err, ErrNoWABA) || ClassOf(err) != ClassAuth {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("api error mid-way", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		var f *fakeGraph
		f = newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
			if calls.Add(1) == 1 {
				replyJSON(200, `{"data":[{"name":"a","id":"1"}],"paging":{"cursors":{"after":"X"},"next":"`+f.srv.URL+`/x?after=X"}}`)(w, r, nil)
				return
			}
			replyJSON(400, `{"error":{"message":"Application request limit reached","type":"OAuthException","code":4,"is_transient":true}}`)(w, r, nil)
		})
		got, err := f.client(t).ListTemplates(context.Background())
		if ClassOf(err) != ClassBackOff || len(got) != 1 {
			t.Fatalf("got %d templates, err = %v", len(got), err)
		}
	})
}

func TestUploadMedia(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("%PDF-1.4 fake "), 10000)
	type part struct {
		Name, Filename, ContentType string
		Data                        []byte
	}
	var (
		mu  sync.Mutex
		got []part
	)
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		var parts []part
		for {
			p, err := mr.NextPart()
			if err != nil { // io.EOF, or a body the client aborted
				break
			}
			data, _ := io.ReadAll(p)
			parts = append(parts, part{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), data})
		}
		mu.Lock()
		if got == nil {
			got = parts
		}
		mu.Unlock()
		replyJSON(200, `{"id":"1037543291543636"}`)(w, r, nil)
	})
	id, err := f.client(t).UploadMedia(context.Background(), "application/pdf", `invoice "May".pdf`, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if id != "1037543291543636" {
		t.Errorf("id = %q", id)
	}
	r := f.requests()[0]
	if r.Method != http.MethodPost || r.Path != "/v23.0/"+testPN+"/media" || r.Header.Get("Authorization") != "Bearer "+testToken {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data; boundary=") {
		t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
	}
	want := []part{
		{"messaging_product", "", "", []byte("whatsapp")},
		{"type", "", "", []byte("application/pdf")},
		{"file", `invoice "May".pdf`, "application/pdf", content},
	}
	mu.Lock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
	mu.Unlock()

	// A reader that fails aborts the upload with its error.
	_, err = f.client(t).UploadMedia(context.Background(), "image/png", "a.png", io.MultiReader(bytes.NewReader([]byte("x")), errReader{}))
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err = %v", err)
	}
	// Missing arguments are refused locally.
	if _, err := f.client(t).UploadMedia(context.Background(), "", "", nil); err == nil || !strings.Contains(err.Error(), "mime: is required") {
		t.Errorf("err = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestNewClientConfig(t *testing.T) {
	t.Parallel()
	_, err := NewClient(ClientConfig{BaseURL: "graph.facebook.com", APIVersion: "23", PhoneNumberID: "abc", Timeout: -1})
	ve, ok := errors.AsType[*ValidationError](err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	var fields []string
	for _, p := range ve.Problems {
		fields = append(fields, p.Field)
	}
	if diff := cmp.Diff([]string{"BaseURL", "APIVersion", "PhoneNumberID", "AccessToken", "Timeout"}, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s\n%v", diff, err)
	}

	c, err := NewClient(ClientConfig{PhoneNumberID: testPN, AccessToken: testToken})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.BaseURL != "https://graph.facebook.com" || c.cfg.APIVersion != "v23.0" || c.cfg.Timeout != 10*time.Second || c.cfg.UploadTimeout != 2*time.Minute {
		t.Errorf("defaults = %v", c.cfg)
	}
	tr, ok := c.http.Transport.(*http.Transport)
	if !ok || tr.MaxIdleConnsPerHost < 256 {
		t.Errorf("transport = %#v", c.http.Transport)
	}
	if got := c.endpoint(testPN, "messages"); got != "https://graph.facebook.com/v23.0/"+testPN+"/messages" {
		t.Errorf("endpoint = %s", got)
	}
}

// TestConcurrentSends runs many sends at once (under -race in CI).
func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		id := n.Add(1)
		replyJSON(200, fmt.Sprintf(`{"messaging_product":"whatsapp","contacts":[{"input":"1","wa_id":"1"}],"messages":[{"id":"wamid.%d"}]}`, id))(w, r, nil)
	})
	c := f.client(t)
	var wg sync.WaitGroup
	seen := sync.Map{}
	for i := range 64 {
		wg.Go(func() {
			resp, err := c.Send(context.Background(), NewText("+16505551234", fmt.Sprint("hi ", i)))
			if err != nil {
				t.Error(err)
				return
			}
			if _, dup := seen.LoadOrStore(resp.Messages[0].ID, true); dup {
				t.Errorf("duplicate id %s", resp.Messages[0].ID)
			}
		})
	}
	wg.Wait()
	if n.Load() != 64 {
		t.Errorf("%d requests", n.Load())
	}
}
