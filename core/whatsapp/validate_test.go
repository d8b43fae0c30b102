package whatsapp

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	to := "+16505551234"
	buttons := func(titles ...string) []ButtonReply {
		var bs []ButtonReply
		for i, title := range titles {
			bs = append(bs, ButtonReply{ID: "b" + string(rune('0'+i)), Title: title})
		}
		return bs
	}
	rows := func(n int) []Row {
		var rs []Row
		for i := range n {
			rs = append(rs, Row{ID: "r" + string(rune('a'+i)), Title: "Row"})
		}
		return rs
	}
	cases := []struct {
		name string
		req  *SendRequest
		want []string // problems, in order; nil = valid
	}{
		{"text ok", NewText(to, "hello"), nil},
		{"text at limit", NewText(to, strings.Repeat("é", 4096)), nil},
		{"text too long", NewText(to, strings.Repeat("a", 4097)), []string{"text.body: at most 4096 characters, got \"4097 characters\""}},
		{"text empty", NewText(to, ""), []string{"text.body: is required"}},
		{"no recipient", NewText("", "hi"), []string{"to: is required"}},
		{"recipient BSUID", &SendRequest{Recipient: "US.13491208655302741918", Type: "text", Text: &Text{Body: "hi"}}, nil},
		{"bad recipient type", &SendRequest{To: to, RecipientType: "channel", Text: &Text{Body: "hi"}}, []string{`recipient_type: must be "individual" or "group", got "channel"`}},
		{"bad product", &SendRequest{MessagingProduct: "messenger", To: to, Text: &Text{Body: "hi"}}, []string{`messaging_product: must be "whatsapp", got "messenger"`}},
		{"type inferred", &SendRequest{To: to, Text: &Text{Body: "hi"}}, nil},
		{"nothing to send", &SendRequest{To: to}, []string{"type: is required"}},
		{"two objects, no type", &SendRequest{To: to, Text: &Text{Body: "hi"}, Image: &Media{ID: "1"}}, []string{"type: is required when several message objects are set ([text image])"}},
		{"type without object", &SendRequest{To: to, Type: "image"}, []string{"image: is required"}},
		{"type with other object", &SendRequest{To: to, Type: "text", Text: &Text{Body: "hi"}, Image: &Media{ID: "1"}}, []string{`image: must not be set on a "text" message`}},
		{"unknown type", &SendRequest{To: to, Type: "address"}, []string{`type: is not a supported message type, got "address"`}},
		{"context without id", &SendRequest{To: to, Text: &Text{Body: "hi"}, Context: &SendContext{}}, []string{"context.message_id: is required"}},

		{"image by id", NewMedia(to, TypeImage, Media{ID: "1", Caption: "c"}), nil},
		{"image both", NewMedia(to, TypeImage, Media{ID: "1", Link: "https://x/y.png"}), []string{`image: set exactly one of id and link, got "both"`}},
		{"video neither", NewMedia(to, TypeVideo, Media{Caption: "c"}), []string{`video: set exactly one of id and link, got "neither"`}},
		{"audio caption", NewMedia(to, TypeAudio, Media{ID: "1", Caption: "c"}), []string{"audio.caption: only image, video and document take a caption"}},
		{"sticker filename", NewMedia(to, TypeSticker, Media{ID: "1", Filename: "a.webp"}), []string{"sticker.filename: only document takes a filename"}},
		{"document filename", NewMedia(to, TypeDocument, Media{Link: "https://x/a.pdf", Filename: "a.pdf", Caption: "c"}), nil},
		{"unknown media kind", NewMedia(to, "gif", Media{ID: "1"}), []string{`type: is not a supported message type, got "gif"`}},

		{"location ok", &SendRequest{To: to, Type: "location", Location: &Location{Latitude: 37.758056, Longitude: -122.425332}}, nil},
		{"location out of range", &SendRequest{To: to, Type: "location", Location: &Location{Latitude: 91, Longitude: -181}},
			[]string{"location.latitude: must be within [-90, 90], got 91", "location.longitude: must be within [-180, 180], got -181"}},
		{"contacts none", &SendRequest{To: to, Type: "contacts"}, []string{"contacts: is required"}},
		{"contacts six", &SendRequest{To: to, Type: "contacts", Contacts: make([]json.RawMessage, 6)}, []string{"contacts[5]: at most 5 contacts"}},

		{"reaction ok", NewReaction(to, "wamid.X", "👍"), nil},
		{"reaction removal", NewReaction(to, "wamid.X", ""), nil},
		{"reaction without id", NewReaction(to, "", "👍"), []string{"reaction.message_id: is required"}},

		{"three buttons", &SendRequest{To: to, Interactive: NewButtons(to, "Pick", buttons("A", "B", "C")...).Interactive}, nil},
		{"four buttons", NewButtons(to, "Pick", buttons("A", "B", "C", "D")...), []string{"interactive.action.buttons[3]: at most 3 buttons"}},
		{"no buttons", NewButtons(to, "Pick"), []string{"interactive.action.buttons: at least 1 button"}},
		{"button title too long", NewButtons(to, "Pick", buttons("Twenty-one characters")...),
			[]string{`interactive.action.buttons[0].reply.title: at most 20 characters, got "21 characters"`}},
		{"duplicate titles", NewButtons(to, "Pick", buttons("Yes", "No", "Yes")...),
			[]string{`interactive.action.buttons[2].reply.title: duplicate title, got "Yes"`}},
		{"button id empty and too long", NewButtons(to, "Pick", ButtonReply{Title: "A"}, ButtonReply{ID: strings.Repeat("x", 257), Title: "B"}),
			[]string{"interactive.action.buttons[0].reply.id: is required", `interactive.action.buttons[1].reply.id: at most 256 characters, got "257 characters"`}},
		{"button body too long", NewButtons(to, strings.Repeat("b", 1025), buttons("A")...),
			[]string{`interactive.body.text: at most 1024 characters, got "1025 characters"`}},
		{"button without body", &SendRequest{To: to, Type: "interactive", Interactive: &Interactive{Type: "button", Action: &Action{Buttons: []Button{{Type: "reply", Reply: ButtonReply{ID: "a", Title: "A"}}}}}},
			[]string{"interactive.body: is required"}},
		{"button wrong type, image header without media, long footer", &SendRequest{To: to, Type: "interactive", Interactive: &Interactive{
			Type: "button", Body: &InteractiveText{Text: "b"}, Header: &InteractiveHeader{Type: "image"}, Footer: &InteractiveText{Text: strings.Repeat("f", 61)},
			Action: &Action{Buttons: []Button{{Type: "url", Reply: ButtonReply{ID: "a", Title: "A"}}}}}},
			[]string{`interactive.footer.text: at most 60 characters, got "61 characters"`, "interactive.header.image: is required", `interactive.action.buttons[0].type: must be "reply", got "url"`}},
		{"button header document by link", &SendRequest{To: to, Type: "interactive", Interactive: &Interactive{
			Type: "button", Body: &InteractiveText{Text: "b"}, Header: &InteractiveHeader{Type: "document", Document: &Media{Link: "https://x/a.pdf"}},
			Action: &Action{Buttons: []Button{{Type: "reply", Reply: ButtonReply{ID: "a", Title: "A"}}}}}}, nil},

		{"list ten rows over two sections", NewList(to, "Body", "Open", Section{Title: "A", Rows: rows(6)}, Section{Title: "B", Rows: rows(4)}), nil},
		{"list eleven rows", NewList(to, "Body", "Open", Section{Title: "A", Rows: rows(6)}, Section{Title: "B", Rows: rows(5)}),
			[]string{"interactive.action.sections[1].rows[4]: at most 10 rows in total"}},
		{"list eleven sections", NewList(to, "Body", "Open", make([]Section, 11)...),
			[]string{"interactive.action.sections[10]: at most 10 sections", "interactive.action.sections: at least 1 row"}},
		{"list without sections", NewList(to, "Body", "Open"), []string{"interactive.action.sections: at least 1 section"}},
		{"list limits", NewList(to, "Body", "Twenty-one characters",
			Section{Title: strings.Repeat("s", 25), Rows: []Row{{ID: strings.Repeat("i", 201), Title: strings.Repeat("t", 25), Description: strings.Repeat("d", 73)}}}),
			[]string{
				`interactive.action.button: at most 20 characters, got "21 characters"`,
				`interactive.action.sections[0].title: at most 24 characters, got "25 characters"`,
				`interactive.action.sections[0].rows[0].id: at most 200 characters, got "201 characters"`,
				`interactive.action.sections[0].rows[0].title: at most 24 characters, got "25 characters"`,
				`interactive.action.sections[0].rows[0].description: at most 72 characters, got "73 characters"`,
			}},
		{"list image header", &SendRequest{To: to, Interactive: &Interactive{Type: "list", Body: &InteractiveText{Text: "b"},
			Header: &InteractiveHeader{Type: "image", Image: &Media{ID: "1"}}, Action: &Action{Button: "Open", Sections: []Section{{Rows: rows(1)}}}}},
			[]string{`interactive.header.type: a list header must be "text", got "image"`}},
		{"interactive without type", &SendRequest{To: to, Interactive: &Interactive{}}, []string{"interactive.type: is required"}},
		{"flow is Meta's to check", &SendRequest{To: to, Interactive: &Interactive{Type: "flow", Action: &Action{Name: "flow", Parameters: json.RawMessage(`{"flow_id":"1"}`)}}}, nil},

		{"template ok", NewTemplate(to, "order_confirmation", "en_US", TextParam("Jessica")), nil},
		{"template missing name and language", NewTemplate(to, "", ""), []string{"template.name: is required", "template.language.code: is required"}},
		{"template mixes parameters", NewTemplate(to, "t", "en_US", TextParam("a"), NamedParam("b", "c"), TextParam("d")),
			[]string{"template.components[0].parameters[1]: mixes named and positional parameters"}},
		{"template button without index", &SendRequest{To: to, Template: &Template{Name: "t", Language: TemplateLanguage{Code: "en"},
			Components: []TemplateComponent{{Type: "button", Parameters: []TemplateParameter{{Type: "payload", Payload: "p"}}}, {Parameters: []TemplateParameter{{}}}}}},
			[]string{"template.components[0].sub_type: is required", "template.components[0].index: is required", "template.components[1].type: is required", "template.components[1].parameters[0].type: is required"}},

		{"mark read", &SendRequest{Status: "read", MessageID: "wamid.X"}, nil},
		{"typing", &SendRequest{Status: "read", MessageID: "wamid.X", TypingIndicator: &TypingIndicator{Type: "text"}}, nil},
		{"bad receipt", &SendRequest{Status: "delivered", Type: "text", Text: &Text{Body: "x"}, TypingIndicator: &TypingIndicator{Type: "audio"}},
			[]string{`status: must be "read", got "delivered"`, "message_id: is required", `typing_indicator.type: must be "text", got "audio"`,
				`type: must be empty on a read receipt, got "text"`, "text: must not be set on a read receipt"}},
		{"nil request", nil, []string{"request: is required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.req.Validate()
			var got []string
			if err != nil {
				ve, ok := errors.AsType[*ValidationError](err)
				if !ok {
					t.Fatalf("err = %T %v", err, err)
				}
				for _, p := range ve.Problems {
					got = append(got, p.Error())
				}
				if err.Error() != strings.Join(got, "; ") {
					t.Errorf("Error() = %q", err.Error())
				}
				if _, ok := errors.AsType[*FieldError](err); !ok {
					t.Errorf("errors.As(*FieldError) failed")
				}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateNamesFieldAndValue(t *testing.T) {
	t.Parallel()
	err := NewButtons("+1", "Pick", ButtonReply{"a", "Yes"}, ButtonReply{"b", "Yes"}).Validate()
	fe, ok := errors.AsType[*FieldError](err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	if fe.Field != "interactive.action.buttons[1].reply.title" || fe.Value != "Yes" {
		t.Errorf("FieldError = %+v", fe)
	}
}
