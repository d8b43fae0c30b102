package whatsapp

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Local limits of the send endpoint (PROTOCOL §1.2). Lengths count Unicode
// characters (runes).
const (
	MaxTextBody         = 4096
	MaxButtons          = 3
	MaxButtonID         = 256
	MaxButtonTitle      = 20
	MaxButtonBody       = 1024
	MaxListBody         = 4096
	MaxListButton       = 20
	MaxListSections     = 10
	MaxListRows         = 10 // in total, over all sections
	MaxSectionTitle     = 24
	MaxRowID            = 200
	MaxRowTitle         = 24
	MaxRowDescription   = 72
	MaxHeaderText       = 60
	MaxFooterText       = 60
	MaxContactsPerSend  = 5
	recipientTypeGroup  = "group"
	interactiveButton   = "button"
	interactiveList     = "list"
	typingIndicatorText = "text"
)

// payloadTypes lists the per-type objects that are set, in a fixed order.
func (r *SendRequest) payloadTypes() []string {
	var set []string
	add := func(on bool, t string) {
		if on {
			set = append(set, t)
		}
	}
	add(r.Text != nil, TypeText)
	add(r.Image != nil, TypeImage)
	add(r.Audio != nil, TypeAudio)
	add(r.Video != nil, TypeVideo)
	add(r.Document != nil, TypeDocument)
	add(r.Sticker != nil, TypeSticker)
	add(r.Location != nil, TypeLocation)
	add(len(r.Contacts) > 0, TypeContacts)
	add(r.Interactive != nil, TypeInteractive)
	add(r.Template != nil, TypeTemplate)
	add(r.Reaction != nil, TypeReaction)
	return set
}

// payloadType is Type, or the type of the only per-type object set, or "".
// Meta's examples omit type for text (its default) and once for a list.
func (r *SendRequest) payloadType() string {
	if r.Type != "" {
		return r.Type
	}
	if set := r.payloadTypes(); len(set) == 1 {
		return set[0]
	}
	return ""
}

// Validate checks the rules Meta enforces on the send endpoint that can be
// checked locally (PROTOCOL §1.2): a recipient; exactly one per-type object,
// matching type (type may be omitted when only one is set); text body ≤ 4096;
// media with exactly one of id and link, caption only on image/video/document
// and filename only on document; 1–3 reply buttons with ids ≤ 256 and unique
// titles ≤ 20; lists with a button label ≤ 20, ≤ 10 sections and ≤ 10 rows in
// total; template name, language and no mix of named and positional
// parameters; a read receipt with status "read" and a message id. It reports
// every problem at once in a *ValidationError whose problems name the field
// path and the value, e.g. "interactive.action.buttons[3]: at most 3 buttons".
// It checks nothing Meta decides (template existence, window, limits).
func (r *SendRequest) Validate() error {
	var p problems
	if r == nil {
		p.add("request", nil, ErrRequired)
		return p.err()
	}
	if r.MessagingProduct != "" && r.MessagingProduct != MessagingProduct {
		p.add("messaging_product", r.MessagingProduct, fmt.Errorf("must be %q", MessagingProduct))
	}
	if r.Status != "" || r.MessageID != "" || r.TypingIndicator != nil {
		r.validateReceipt(&p)
		return p.err()
	}
	if r.To == "" && r.Recipient == "" {
		p.add("to", nil, ErrRequired)
	}
	switch r.RecipientType {
	case "", RecipientIndividual, recipientTypeGroup:
	default:
		p.add("recipient_type", r.RecipientType, errors.New(`must be "individual" or "group"`))
	}
	if r.Context != nil && r.Context.MessageID == "" {
		p.add("context.message_id", nil, ErrRequired)
	}

	set := r.payloadTypes()
	typ := r.Type
	switch {
	case typ == "" && len(set) == 0:
		p.add("type", nil, ErrRequired)
	case typ == "" && len(set) > 1:
		p.add("type", nil, fmt.Errorf("is required when several message objects are set (%v)", set))
	case typ == "":
		typ = set[0]
	default:
		present := false
		for _, s := range set {
			if s == typ {
				present = true
			} else {
				p.add(s, nil, fmt.Errorf("must not be set on a %q message", typ))
			}
		}
		if !present {
			if isSendType(typ) {
				p.add(typ, nil, ErrRequired)
			} else {
				p.add("type", typ, errors.New("is not a supported message type"))
			}
		}
	}

	switch typ {
	case TypeText:
		if r.Text != nil {
			requireText(&p, "text.body", r.Text.Body, MaxTextBody)
		}
	case TypeImage:
		validateMedia(&p, TypeImage, r.Image)
	case TypeAudio:
		validateMedia(&p, TypeAudio, r.Audio)
	case TypeVideo:
		validateMedia(&p, TypeVideo, r.Video)
	case TypeDocument:
		validateMedia(&p, TypeDocument, r.Document)
	case TypeSticker:
		validateMedia(&p, TypeSticker, r.Sticker)
	case TypeLocation:
		if l := r.Location; l != nil {
			if l.Latitude < -90 || l.Latitude > 90 {
				p.add("location.latitude", l.Latitude, errors.New("must be within [-90, 90]"))
			}
			if l.Longitude < -180 || l.Longitude > 180 {
				p.add("location.longitude", l.Longitude, errors.New("must be within [-180, 180]"))
			}
		}
	case TypeContacts:
		if len(r.Contacts) > MaxContactsPerSend { // none at all is "contacts: is required" above
			p.add(fmt.Sprintf("contacts[%d]", MaxContactsPerSend), nil, fmt.Errorf("at most %d contacts", MaxContactsPerSend))
		}
	case TypeReaction:
		if r.Reaction != nil && r.Reaction.MessageID == "" {
			p.add("reaction.message_id", nil, ErrRequired)
		}
	case TypeInteractive:
		if r.Interactive != nil {
			validateInteractive(&p, r.Interactive)
		}
	case TypeTemplate:
		if r.Template != nil {
			validateTemplate(&p, r.Template)
		}
	}
	return p.err()
}

func isSendType(t string) bool {
	switch t {
	case TypeText, TypeImage, TypeAudio, TypeVideo, TypeDocument, TypeSticker,
		TypeLocation, TypeContacts, TypeInteractive, TypeTemplate, TypeReaction:
		return true
	}
	return false
}

func (r *SendRequest) validateReceipt(p *problems) {
	if r.Status != "read" {
		p.add("status", r.Status, errors.New(`must be "read"`))
	}
	if r.MessageID == "" {
		p.add("message_id", nil, ErrRequired)
	}
	if r.TypingIndicator != nil && r.TypingIndicator.Type != typingIndicatorText {
		p.add("typing_indicator.type", r.TypingIndicator.Type, fmt.Errorf("must be %q", typingIndicatorText))
	}
	if r.Type != "" {
		p.add("type", r.Type, errors.New("must be empty on a read receipt"))
	}
	for _, s := range r.payloadTypes() {
		p.add(s, nil, errors.New("must not be set on a read receipt"))
	}
}

func validateMedia(p *problems, kind string, m *Media) {
	if m == nil {
		return
	}
	switch {
	case m.ID != "" && m.Link != "":
		p.add(kind, "both", errors.New("set exactly one of id and link"))
	case m.ID == "" && m.Link == "":
		p.add(kind, "neither", errors.New("set exactly one of id and link"))
	}
	if m.Caption != "" && kind != TypeImage && kind != TypeVideo && kind != TypeDocument {
		p.add(kind+".caption", nil, errors.New("only image, video and document take a caption"))
	}
	if m.Filename != "" && kind != TypeDocument {
		p.add(kind+".filename", nil, errors.New("only document takes a filename"))
	}
}

// requireText checks a required text field's length.
func requireText(p *problems, field, s string, limit int) {
	if s == "" {
		p.add(field, nil, ErrRequired)
		return
	}
	maxLen(p, field, s, limit)
}

// maxLen checks an optional text field's length.
func maxLen(p *problems, field, s string, limit int) {
	if n := utf8.RuneCountInString(s); n > limit {
		p.add(field, fmt.Sprintf("%d characters", n), fmt.Errorf("at most %d characters", limit))
	}
}

func validateInteractive(p *problems, in *Interactive) {
	if in.Type == "" {
		p.add("interactive.type", nil, ErrRequired)
		return
	}
	if in.Type != interactiveButton && in.Type != interactiveList {
		return // flow, product, product_list, catalog_message, order_* …: Meta checks them
	}
	bodyLimit := MaxButtonBody
	if in.Type == interactiveList {
		bodyLimit = MaxListBody
	}
	if in.Body == nil {
		p.add("interactive.body", nil, ErrRequired)
	} else {
		requireText(p, "interactive.body.text", in.Body.Text, bodyLimit)
	}
	if in.Footer != nil {
		maxLen(p, "interactive.footer.text", in.Footer.Text, MaxFooterText)
	}
	if h := in.Header; h != nil {
		validateHeader(p, in.Type, h)
	}
	if in.Action == nil {
		p.add("interactive.action", nil, ErrRequired)
		return
	}
	if in.Type == interactiveButton {
		validateButtons(p, in.Action.Buttons)
	} else {
		validateList(p, in.Action)
	}
}

func validateHeader(p *problems, interactiveType string, h *InteractiveHeader) {
	switch h.Type {
	case "text":
		requireText(p, "interactive.header.text", h.Text, MaxHeaderText)
		return
	case "":
		p.add("interactive.header.type", nil, ErrRequired)
		return
	}
	if interactiveType == interactiveList {
		p.add("interactive.header.type", h.Type, errors.New(`a list header must be "text"`))
		return
	}
	var m *Media
	switch h.Type {
	case TypeImage:
		m = h.Image
	case TypeVideo:
		m = h.Video
	case TypeDocument:
		m = h.Document
	default:
		p.add("interactive.header.type", h.Type, errors.New(`must be "text", "image", "video" or "document"`))
		return
	}
	if m == nil {
		p.add("interactive.header."+h.Type, nil, ErrRequired)
		return
	}
	validateMedia(p, "interactive.header."+h.Type, m)
}

func validateButtons(p *problems, buttons []Button) {
	if len(buttons) == 0 {
		p.add("interactive.action.buttons", nil, errors.New("at least 1 button"))
		return
	}
	if len(buttons) > MaxButtons {
		p.add(fmt.Sprintf("interactive.action.buttons[%d]", MaxButtons), nil, fmt.Errorf("at most %d buttons", MaxButtons))
	}
	titles := map[string]bool{}
	for i, b := range buttons {
		f := fmt.Sprintf("interactive.action.buttons[%d]", i)
		if b.Type != "reply" {
			p.add(f+".type", b.Type, errors.New(`must be "reply"`))
		}
		requireText(p, f+".reply.id", b.Reply.ID, MaxButtonID)
		requireText(p, f+".reply.title", b.Reply.Title, MaxButtonTitle)
		if b.Reply.Title != "" {
			if titles[b.Reply.Title] {
				p.add(f+".reply.title", b.Reply.Title, errors.New("duplicate title"))
			}
			titles[b.Reply.Title] = true
		}
	}
}

func validateList(p *problems, a *Action) {
	requireText(p, "interactive.action.button", a.Button, MaxListButton)
	if len(a.Sections) == 0 {
		p.add("interactive.action.sections", nil, errors.New("at least 1 section"))
		return
	}
	if len(a.Sections) > MaxListSections {
		p.add(fmt.Sprintf("interactive.action.sections[%d]", MaxListSections), nil, fmt.Errorf("at most %d sections", MaxListSections))
	}
	rows := 0
	for i, s := range a.Sections {
		f := fmt.Sprintf("interactive.action.sections[%d]", i)
		maxLen(p, f+".title", s.Title, MaxSectionTitle)
		for j, row := range s.Rows {
			rf := fmt.Sprintf("%s.rows[%d]", f, j)
			rows++
			if rows == MaxListRows+1 {
				p.add(rf, nil, fmt.Errorf("at most %d rows in total", MaxListRows))
			}
			requireText(p, rf+".id", row.ID, MaxRowID)
			requireText(p, rf+".title", row.Title, MaxRowTitle)
			maxLen(p, rf+".description", row.Description, MaxRowDescription)
		}
	}
	if rows == 0 {
		p.add("interactive.action.sections", nil, errors.New("at least 1 row"))
	}
}

func validateTemplate(p *problems, t *Template) {
	if t.Name == "" {
		p.add("template.name", nil, ErrRequired)
	}
	if t.Language.Code == "" {
		p.add("template.language.code", nil, ErrRequired)
	}
	for i, c := range t.Components {
		f := fmt.Sprintf("template.components[%d]", i)
		if c.Type == "" {
			p.add(f+".type", nil, ErrRequired)
		}
		if c.Type == "button" {
			if c.SubType == "" {
				p.add(f+".sub_type", nil, ErrRequired)
			}
			if c.Index == "" {
				p.add(f+".index", nil, ErrRequired)
			}
		}
		named, positional, mixed := 0, 0, false
		for j, prm := range c.Parameters {
			pf := fmt.Sprintf("%s.parameters[%d]", f, j)
			if prm.Type == "" {
				p.add(pf+".type", nil, ErrRequired)
			}
			if prm.Type != "text" {
				continue
			}
			if prm.ParameterName != "" {
				named++
			} else {
				positional++
			}
			if named > 0 && positional > 0 && !mixed {
				p.add(pf, nil, errors.New("mixes named and positional parameters"))
				mixed = true
			}
		}
	}
}
