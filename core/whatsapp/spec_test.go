package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/core/whatsapp/internal/specexamples"
)

// specPath is where CI keeps Meta's spec: /work/shared beside the clone.
const specPath = "../../../shared/whatsapp/business-messaging-api_v23.0.yaml"

// TestSpecTestdataUpToDate re-extracts the examples when the spec is
// present and fails if testdata/spec drifted from it. Without the spec the
// committed files are the truth and the test skips.
func TestSpecTestdataUpToDate(t *testing.T) {
	spec, err := os.ReadFile(specPath)
	if err != nil {
		t.Skipf("spec not available (%v); using committed testdata/spec", err)
	}
	want, err := specexamples.Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	err = filepath.WalkDir(specexamples.Dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(specexamples.Dir, p)
		got[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: missing; run go generate ./core/whatsapp/", name)
		} else if !bytes.Equal(g, w) {
			t.Errorf("%s: differs from the spec; run go generate ./core/whatsapp/", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: not in the spec; run go generate ./core/whatsapp/", name)
		}
	}
}

func readDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no JSON files in %s", dir)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".json")] = b
	}
	return out
}

// summary is what the golden tests assert of a parsed notification.
type summary struct {
	Inbound  []string // "phone_number_id sender type contact-name unix"
	Statuses []string // "phone_number_id id-suffix status state unix error-codes"
	Updates  []string // "waba event name language unix"
	Errors   []string // "phone_number_id code class"
	Other    []string // field names
}

func summarize(n *Notification) summary {
	var s summary
	for _, it := range n.Inbound {
		name := "-"
		if it.Contact != nil {
			name = it.Contact.Profile.Name
		}
		s.Inbound = append(s.Inbound, fmt.Sprintf("%s %s %s %s %d", it.PhoneNumberID, it.Sender(), it.Message.Type, name, it.Timestamp.Unix()))
	}
	for _, it := range n.Statuses {
		var codes []string
		for _, e := range it.Status.Errors {
			codes = append(codes, fmt.Sprint(e.Code))
		}
		id := it.Status.ID
		s.Statuses = append(s.Statuses, fmt.Sprintf("%s %s %s %s %d [%s]", it.PhoneNumberID, id[len(id)-6:], it.Status.Status, it.State, it.Timestamp.Unix(), strings.Join(codes, ",")))
	}
	for _, it := range n.TemplateUpdates {
		s.Updates = append(s.Updates, fmt.Sprintf("%s %s %s %s %d", it.WABAID, it.Event, it.MessageTemplateName, it.MessageTemplateLanguage, it.Time.Unix()))
	}
	for _, it := range n.Errors {
		s.Errors = append(s.Errors, fmt.Sprintf("%s %d %s", it.PhoneNumberID, it.Error.Code, it.Error.Class()))
	}
	for _, o := range n.Other {
		s.Other = append(s.Other, o.Field)
	}
	return s
}

const pn = "106540352242922"

func TestParseSpecWebhookExamples(t *testing.T) {
	t.Parallel()
	inbound := func(line string) summary { return summary{Inbound: []string{line}} }
	want := map[string]summary{
		"text-message": inbound(pn + " 16505551234 text Sheena Nelson 1749416383"),
		"text-message-with-context-product-inquiry": inbound(pn + " 16505551234 text Sheena Nelson 1750016800"),
		"text-message-from-click-to-whatsapp-ad":    inbound(pn + " 16505551234 text Sheena Nelson 1750275992"),
		"reaction-message":                          inbound(pn + " 16505551234 reaction Sheena Nelson 1749419544"),
		"image-message":                             inbound(pn + " 16505551234 image Sheena Nelson 1744344496"),
		"location-message":                          inbound(pn + " 16505551234 location Sheena Nelson 1744344496"),
		"contact-sharing-message":                   inbound(pn + " 16505551234 contacts Sheena Nelson 1744344496"),
		"unsupported-message":                       inbound(pn + " 16505551234 unsupported Sheena Nelson 1750090702"),
		"button-message":                            inbound(pn + " 16505551234 button Sheena Nelson 1750091045"),
		"interactive-list-reply-message":            inbound(pn + " 16505551234 interactive Sheena Nelson 1749854575"),
		"interactive-button-reply-message":          inbound(pn + " 16505551234 interactive Sheena Nelson 1750025136"),
		"order-message":                             inbound(pn + " 16505551234 order Sheena Nelson 1750096325"),
		"system-message":                            inbound(pn + " 16505551234 system - 1750269342"),
		"group-create-message":                      {Other: []string{"group_lifecycle_update"}},
		"group-settings-update":                     {Other: []string{"group_settings_update"}},
		"group-remove-participants":                 {Other: []string{"group_participants_update"}},
	}
	files := readDir(t, "testdata/spec/webhooks")
	checkAllCovered(t, files, want)
	for name, raw := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(want[name], summarize(n)); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}

	// Fields that routing depends on, decoded from the spec's examples.
	n := mustParse(t, files["interactive-button-reply-message"])
	if r := n.Inbound[0].Message.Interactive; r == nil || r.Type != "button_reply" || r.ButtonReply.ID != "cancel-button" {
		t.Errorf("button reply = %+v", r)
	}
	if c := n.Inbound[0].Message.Context; c == nil || c.ID != "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA" {
		t.Errorf("context = %+v", c)
	}
	n = mustParse(t, files["interactive-list-reply-message"])
	if r := n.Inbound[0].Message.Interactive; r == nil || r.ListReply.ID != "priority_express" || r.ListReply.Description != "Next Day to 2 Days" {
		t.Errorf("list reply = %+v", r)
	}
	n = mustParse(t, files["button-message"])
	if b := n.Inbound[0].Message.Button; b == nil || b.Payload != "Unsubscribe" {
		t.Errorf("button = %+v", b)
	}
	n = mustParse(t, files["reaction-message"])
	if r := n.Inbound[0].Message.Reaction; r == nil || r.Emoji != "👍" || r.MessageID != "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA" {
		t.Errorf("reaction = %+v", r)
	}
	n = mustParse(t, files["unsupported-message"])
	if e := n.Inbound[0].Message.Errors; len(e) != 1 || e[0].Code != 131051 || e[0].Class() != ClassPermanent {
		t.Errorf("errors = %+v", e)
	}
	n = mustParse(t, files["text-message-from-click-to-whatsapp-ad"])
	if len(n.Inbound[0].Message.Referral) == 0 || n.Inbound[0].Message.Text.Body != "Hello! Can I get more info on this?" {
		t.Errorf("referral/text = %s / %+v", n.Inbound[0].Message.Referral, n.Inbound[0].Message.Text)
	}
	n = mustParse(t, files["text-message"])
	if it := n.Inbound[0]; it.WABAID != "419561257915477" || it.DisplayPhoneNumber != "15550783881" || it.Contact.WaID != "16505551234" {
		t.Errorf("item = %+v", it)
	}
}

func TestParseHandwrittenWebhooks(t *testing.T) {
	t.Parallel()
	const wamid = "E4RTUA"
	want := map[string]summary{
		"status-sent":                {Statuses: []string{pn + " " + wamid + " sent sent 1750030073 []"}},
		"status-delivered":           {Statuses: []string{pn + " " + wamid + " delivered delivered 1750030074 []"}},
		"status-read":                {Statuses: []string{pn + " " + wamid + " read read 1750030090 []"}},
		"status-failed-131049":       {Statuses: []string{pn + " M2NzUA failed failed 1750263773 [131049]"}},
		"status-played-group":        {Statuses: []string{pn + " ZEMDEA played read 1750031000 []"}},
		"template-status-approved":   {Updates: []string{"102290129340398 APPROVED order_confirmation en-US 1751247548"}},
		"template-status-paused":     {Updates: []string{"102290129340398 PAUSED order_confirmation en-US 1751250000"}},
		"value-errors":               {Errors: []string{pn + " 131000 retry"}},
		"inbound-bsuid":              {Inbound: []string{pn + " US.13491208655302741918 text Sheena Nelson 1767225600"}},
		"inbound-escaped-unicode":    {Inbound: []string{pn + " 33612345678 text Renée Dupré 1750030100"}},
		"account-update-restriction": {Other: []string{"account_update", "phone_number_quality_update"}},
		"batch-out-of-order": {
			Inbound: []string{"106540352242923 16315551181 text Kerry Fisher 1750030095"},
			Statuses: []string{
				pn + " " + wamid + " read read 1750030090 []",
				pn + " " + wamid + " delivered delivered 1750030074 []",
			},
		},
	}
	files := readDir(t, "testdata/webhooks")
	checkAllCovered(t, files, want)
	for name, raw := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(want[name], summarize(n)); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}

	n := mustParse(t, files["status-sent"])
	s := n.Statuses[0].Status
	if s.BizOpaqueCallbackData != "order-7781" || s.Pricing == nil || s.Pricing.PricingModel != "PMP" || s.Pricing.Category != "marketing" ||
		s.Conversation == nil || s.Conversation.Origin.Type != "marketing" {
		t.Errorf("sent status = %+v", s)
	}
	n = mustParse(t, files["status-played-group"])
	if s := n.Statuses[0].Status; s.RecipientType != "group" || s.RecipientParticipantID != "16505551234" {
		t.Errorf("group status = %+v", s)
	}
	n = mustParse(t, files["inbound-bsuid"])
	if it := n.Inbound[0]; it.Message.From != "" || it.Contact == nil || it.Contact.Profile.Username != "sheena.n" {
		t.Errorf("BSUID item = %+v", it)
	}
	n = mustParse(t, files["inbound-escaped-unicode"])
	if got := n.Inbound[0].Message.Text.Body; got != "Café crème 😀 <b>&amp;</b>" {
		t.Errorf("body = %q", got)
	}
	n = mustParse(t, files["template-status-approved"])
	if u := n.TemplateUpdates[0]; u.MessageTemplateID.String() != "1689556908129832" || u.Reason == nil || *u.Reason != "NONE" {
		t.Errorf("update = %+v", u)
	}
	n = mustParse(t, files["template-status-paused"])
	if u := n.TemplateUpdates[0]; u.Reason != nil || len(u.OtherInfo) == 0 {
		t.Errorf("paused update = %+v", u)
	}
}

func checkAllCovered(t *testing.T, files map[string][]byte, want map[string]summary) {
	t.Helper()
	for name := range files {
		if _, ok := want[name]; !ok {
			t.Errorf("%s.json has no expectation; add one", name)
		}
	}
	for name := range want {
		if _, ok := files[name]; !ok {
			t.Errorf("expectation %s has no file", name)
		}
	}
}

func mustParse(t *testing.T, raw []byte) *Notification {
	t.Helper()
	n, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSendExamples: every send-request example of the spec decodes into
// SendRequest without unknown fields, re-encodes to an equivalent object,
// and passes Validate.
func TestSendExamples(t *testing.T) {
	t.Parallel()
	files := readDir(t, "testdata/spec/send")
	if len(files) < 45 {
		t.Errorf("only %d send examples; the spec has 50", len(files))
	}
	for name, raw := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var req SendRequest
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil {
				t.Fatalf("decode: %v", err)
			}
			out, err := json.Marshal(&req)
			if err != nil {
				t.Fatal(err)
			}
			if path, ok := equivalentJSON(t, raw, out); !ok {
				t.Errorf("re-encoded request differs at %s\n in: %s\nout: %s", path, compact(raw), out)
			}
			if err := req.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestSendResponseExamples(t *testing.T) {
	t.Parallel()
	for name, raw := range readDir(t, "testdata/spec/send_responses") {
		var resp SendResponse
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&resp); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		switch {
		case resp.Success != nil:
			if !*resp.Success {
				t.Errorf("%s: success false", name)
			}
		case len(resp.Messages) != 1 || !strings.HasPrefix(resp.Messages[0].ID, "wamid.") || resp.MessagingProduct != "whatsapp":
			t.Errorf("%s: %+v", name, resp)
		}
	}
}

// equivalentJSON compares two JSON documents as Graph reads them: a key
// absent on one side equals false, 0, "" or null on the other (Go's
// omitempty drops them; they are the API's defaults), and a string equals a
// number or boolean with the same literal (Graph coerces scalars; Meta's
// examples send index 0 and "0", and "text": true). It returns the path of
// the first difference.
func equivalentJSON(t *testing.T, a, b []byte) (string, bool) {
	t.Helper()
	return equivalent("$", decodeGeneric(t, a), decodeGeneric(t, b))
}

func decodeGeneric(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func equivalent(path string, a, b any) (string, bool) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return path, false
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			x, inA := av[k]
			y, inB := bv[k]
			switch {
			case inA && inB:
				if p, ok := equivalent(path+"."+k, x, y); !ok {
					return p, false
				}
			case inA && !isZero(x), inB && !isZero(y):
				return path + "." + k, false
			}
		}
		return "", true
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return path, false
		}
		for i := range av {
			if p, ok := equivalent(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i]); !ok {
				return p, false
			}
		}
		return "", true
	default:
		if scalarText(a) == scalarText(b) {
			return "", true
		}
		return path, false
	}
}

func scalarText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	case nil:
		return "<null>"
	}
	return fmt.Sprintf("<%T>", v)
}

func isZero(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case string:
		return v == ""
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0
	}
	return false
}

func TestEquivalentJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		a, b string
		want bool
	}{
		{"same", `{"a":1,"b":[1,"x"]}`, `{"b":[1,"x"],"a":1}`, true},
		{"false omitted", `{"a":1,"p":false}`, `{"a":1}`, true},
		{"index coerced", `{"index":0}`, `{"index":"0"}`, true},
		{"bool coerced", `{"text":true}`, `{"text":"true"}`, true},
		{"lost field", `{"a":1,"calendar":"GREGORIAN"}`, `{"a":1}`, false},
		{"changed value", `{"a":"x"}`, `{"a":"y"}`, false},
		{"array length", `{"a":[1,2]}`, `{"a":[1]}`, false},
		{"extra field", `{"a":1}`, `{"a":1,"b":"x"}`, false},
	}
	for _, c := range cases {
		if _, got := equivalentJSON(t, []byte(c.a), []byte(c.b)); got != c.want {
			t.Errorf("%s: equivalent = %v, want %v", c.name, got, c.want)
		}
	}
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}
