package whatsapp

// Message types: the values of SendRequest.Type and InboundMessage.Type.
const (
	TypeText        = "text"
	TypeImage       = "image"
	TypeAudio       = "audio"
	TypeVideo       = "video"
	TypeDocument    = "document"
	TypeSticker     = "sticker"
	TypeLocation    = "location"
	TypeContacts    = "contacts"
	TypeInteractive = "interactive"
	TypeTemplate    = "template"
	TypeReaction    = "reaction"
)

// RecipientIndividual is the default recipient_type.
const RecipientIndividual = "individual"

func newRequest(to, typ string) *SendRequest {
	return &SendRequest{
		MessagingProduct: MessagingProduct,
		RecipientType:    RecipientIndividual,
		To:               to,
		Type:             typ,
	}
}

// NewText builds a text message. Set Text.PreviewURL to render a preview of
// the first http(s) URL in body.
func NewText(to, body string) *SendRequest {
	r := newRequest(to, TypeText)
	r.Text = &Text{Body: body}
	return r
}

// NewTemplate builds a template message in language lang (e.g. "en_US")
// whose body takes bodyParams; use TextParam for positional templates and
// NamedParam for named ones. Add header and button components to
// Template.Components as needed.
func NewTemplate(to, name, lang string, bodyParams ...TemplateParameter) *SendRequest {
	r := newRequest(to, TypeTemplate)
	r.Template = &Template{Name: name, Language: TemplateLanguage{Code: lang}}
	if len(bodyParams) > 0 {
		r.Template.Components = []TemplateComponent{{Type: "body", Parameters: bodyParams}}
	}
	return r
}

// TextParam is a positional text parameter ({{1}}, {{2}}, … in order).
func TextParam(text string) TemplateParameter {
	return TemplateParameter{Type: "text", Text: text}
}

// NamedParam is a named text parameter ({{name}}).
func NamedParam(name, text string) TemplateParameter {
	return TemplateParameter{Type: "text", ParameterName: name, Text: text}
}

// NewMedia builds an image, audio, video, document or sticker message (kind
// is one of the Type constants). Set exactly one of m.ID and m.Link.
func NewMedia(to, kind string, m Media) *SendRequest {
	r := newRequest(to, kind)
	switch kind {
	case TypeImage:
		r.Image = &m
	case TypeAudio:
		r.Audio = &m
	case TypeVideo:
		r.Video = &m
	case TypeDocument:
		r.Document = &m
	case TypeSticker:
		r.Sticker = &m
	}
	return r
}

// NewButtons builds an interactive reply-buttons message: body text and up
// to three buttons, each with an id (returned in the reply) and a title.
func NewButtons(to, body string, buttons ...ButtonReply) *SendRequest {
	r := newRequest(to, TypeInteractive)
	bs := make([]Button, len(buttons))
	for i, b := range buttons {
		bs[i] = Button{Type: "reply", Reply: b}
	}
	r.Interactive = &Interactive{
		Type:   "button",
		Body:   &InteractiveText{Text: body},
		Action: &Action{Buttons: bs},
	}
	return r
}

// NewList builds an interactive list message: body text, the label of the
// button that opens the list, and sections of rows (at most 10 rows in all).
func NewList(to, body, button string, sections ...Section) *SendRequest {
	r := newRequest(to, TypeInteractive)
	r.Interactive = &Interactive{
		Type:   "list",
		Body:   &InteractiveText{Text: body},
		Action: &Action{Button: button, Sections: sections},
	}
	return r
}

// NewReaction reacts to message wamid with emoji; an empty emoji removes the
// reaction. Only a "sent" status follows a reaction, never delivered/read.
func NewReaction(to, wamid, emoji string) *SendRequest {
	r := newRequest(to, TypeReaction)
	r.Reaction = &Reaction{MessageID: wamid, Emoji: emoji}
	return r
}
