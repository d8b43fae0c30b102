package emulator

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/parley-hub/parley/core/whatsapp"
)

type sendExample struct {
	Name    string          `json:"name"`
	Request json.RawMessage `json:"request"`
}

func loadSendExamples(t *testing.T) []sendExample {
	t.Helper()
	raw, err := os.ReadFile("testdata/openapi/send_examples.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []sendExample
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// exampleTemplates are the templates the OpenAPI template examples need.
// Meta's placeholder names ("template-name", "<TEMPLATE_NAME>") are not
// valid template names, so the test renames them (exampleRenames).
var exampleTemplates = map[string][]TemplateSeed{
	"Send Catalog Template Message": {{
		Name: "intro_catalog_offer", Language: "en_US", Category: "MARKETING",
		Body:    "Now shop for your favourite products right here on WhatsApp! Get Rs {{1}} off on all orders above {{2}}Rs! Valid for your first {{3}} orders placed on WhatsApp!",
		Buttons: []TemplateButton{{Type: "CATALOG", Text: "View catalog"}},
	}},
	"Send Flow Template Message": {{
		Name: "flow_offer", Language: "en_US", Category: "MARKETING", Body: "Check out this new offer",
		Buttons: []TemplateButton{{Type: "FLOW", Text: "Check out this offer!"}},
	}},
	"Send Message Template Interactive": {{
		Name: "order_update", Language: "en_US", Category: "UTILITY", HeaderFormat: "IMAGE",
		Body:    "Hi {{1}}, your order of {{2}} ships on {{3}}.",
		Buttons: []TemplateButton{{Type: "QUICK_REPLY", Text: "Track"}, {Type: "QUICK_REPLY", Text: "Cancel"}},
	}},
	"Send Message Template Media": {{
		Name: "order_update", Language: "en_US", Category: "UTILITY", HeaderFormat: "IMAGE",
		Body: "Hi {{1}}, your order of {{2}} ships on {{3}}.",
	}},
	"Send Message Template Text":                 {orderUpdateText},
	"Send Sample Text Message":                   {orderUpdateText},
	"Send Sample Shipping Confirmation Template": {orderUpdateText},
	"Send Sample Issue Resolution Template": {{
		Name: "sample_issue_resolution", Language: "en_US", Category: "UTILITY",
		Body:    "Hi {{1}}, were we able to solve the issue that you were facing?",
		Buttons: []TemplateButton{{Type: "QUICK_REPLY", Text: "Yes"}, {Type: "QUICK_REPLY", Text: "No"}},
	}},
}

var orderUpdateText = TemplateSeed{
	Name: "order_update", Language: "en_US", Category: "UTILITY",
	Body: "Hi {{1}}, your order of {{2}} ships on {{3}}.",
}

var (
	exampleRenames = strings.NewReplacer(
		`{{Recipient-Phone-Number}}`, testPhone,
		`{{Recipient-WA-Phone-Number}}`, testPhone,
		`"name": "template-name"`, `"name": "order_update"`,
		`"code": "language-and-locale-code"`, `"code": "en_US"`,
		`"name": "<TEMPLATE_NAME>"`, `"name": "flow_offer"`,
	)
	mediaIDRE   = regexp.MustCompile(`<([A-Z]+)_OBJECT_ID>`)
	linkRE      = regexp.MustCompile(`"link": "[^"]*"`)
	contextIDRE = regexp.MustCompile(`<MSGID_OF_[A-Z_]+>`)
)

// exampleMIME maps the placeholder kind to an upload.
var exampleMIME = map[string]string{
	"AUDIO": "audio/ogg", "DOCUMENT": "application/pdf", "IMAGE": "image/jpeg", "MEDIA": "image/webp", "VIDEO": "video/mp4",
}

// TestOpenAPISendExamples sends every request example of Meta's OpenAPI
// description through the send endpoint and expects a spec-shaped success
// followed by a sent status (not a failure). Placeholders are filled in:
// the recipient, uploaded media ids, downloadable links, the wamid of the
// customer's message for contexts and reactions, valid template names.
func TestOpenAPISendExamples(t *testing.T) {
	t.Parallel()
	examples := loadSendExamples(t)
	if len(examples) != 50 {
		t.Fatalf("want Meta's 50 send examples, got %d", len(examples))
	}
	for _, ex := range examples {
		t.Run(ex.Name, func(t *testing.T) {
			t.Parallel()
			seeds := exampleTemplates[ex.Name]
			h := newHarness(t, func(c *Config) { c.Templates = seeds; c.ReadAfter = -1 })
			body := exampleRenames.Replace(string(ex.Request))
			body = mediaIDRE.ReplaceAllStringFunc(body, func(m string) string {
				return h.upload(t, exampleMIME[mediaIDRE.FindStringSubmatch(m)[1]], []byte("media bytes"))
			})
			body = linkRE.ReplaceAllString(body, `"link": "https://example.com/media/file"`)

			var probe whatsapp.SendRequest
			if err := json.Unmarshal([]byte(body), &probe); err != nil {
				t.Fatalf("decode example: %v", err)
			}
			if probe.Type != "template" && probe.Status == "" {
				// Free-form messages need the customer service window.
				inbound := h.say(t, testPhone)
				body = contextIDRE.ReplaceAllString(body, inbound)
				body = strings.Replace(body, `"wamid.HBgLM..."`, `"`+inbound+`"`, 1)
			}

			status, out := h.send(t, body)
			if status != http.StatusOK {
				t.Fatalf("HTTP %d: %s\nrequest: %s", status, out, body)
			}
			if probe.Status == "read" {
				if string(bytes.TrimSpace(out)) != `{"success":true}` {
					t.Fatalf("read receipt answered %s, want {\"success\":true}", out)
				}
				return
			}
			var resp whatsapp.SendResponse
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&resp); err != nil {
				t.Fatalf("response %s: %v", out, err)
			}
			if resp.MessagingProduct != "whatsapp" || len(resp.Contacts) != 1 || len(resp.Messages) != 1 {
				t.Fatalf("response not shaped per §1.5: %s", out)
			}
			if c := resp.Contacts[0]; c.Input != probe.To || c.WaID != waID(probe.To) {
				t.Errorf("contacts[0] = %+v, want input %q verbatim and wa_id %q", c, probe.To, waID(probe.To))
			}
			id := resp.Messages[0].ID
			if !strings.HasPrefix(id, "wamid.") {
				t.Errorf("message id %q lacks the wamid. prefix", id)
			}
			eventually(t, "the sent status", func() bool { return len(h.rcv.statusesOf(t, id)) > 0 })
			if s := h.rcv.statusesOf(t, id)[0]; s.Status != "sent" {
				t.Fatalf("first status %+v, want sent", s)
			}
		})
	}
}

// upload uploads bytes as media and returns the id.
func (h *harness) upload(t *testing.T, mimeType string, data []byte) string {
	t.Helper()
	status, out := h.uploadRaw(t, mimeType, mimeType, data)
	if status != http.StatusOK {
		t.Fatalf("upload %s: HTTP %d %s", mimeType, status, out)
	}
	var resp struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.ID == "" {
		t.Fatalf("upload response %s: %v", out, err)
	}
	return resp.ID
}

func (h *harness) uploadRaw(t *testing.T, typeField, partType string, data []byte) (int, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("messaging_product", "whatsapp")
	_ = mw.WriteField("type", typeField)
	hdr := make(map[string][]string)
	hdr["Content-Disposition"] = []string{`form-data; name="file"; filename="file"`}
	hdr["Content-Type"] = []string{partType}
	fw, err := mw.CreatePart(hdr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/v23.0/"+DefaultPhoneNumberID+"/media", &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return resp.StatusCode, out.Bytes()
}
