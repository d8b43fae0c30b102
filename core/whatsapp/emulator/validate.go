package emulator

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/parley-hub/parley/core/whatsapp"
)

// Limits of the send endpoint (PROTOCOL §1.2).
const (
	textMax            = 4096
	captionMax         = 1024
	bizOpaqueMax       = 512
	buttonsMax         = 3
	buttonIDMax        = 256
	buttonTitleMax     = 20
	interactiveBodyMax = 1024
	listBodyMax        = 4096
	footerMax          = 60
	headerTextMax      = 60
	listButtonMax      = 20
	sectionsMax        = 10
	rowsMax            = 10
	sectionTitleMax    = 24
	rowIDMax           = 200
	rowTitleMax        = 24
	rowDescriptionMax  = 72
	contactsMax        = 5
	reactionMaxAge     = 30 * 24 * 60 * 60 // seconds
)

// bsuidRE matches a business-scoped user id (PROTOCOL §7), such as
// US.13491208655302741918.
var bsuidRE = regexp.MustCompile(`^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$`)

// outbound is a validated send.
type outbound struct {
	typ      string
	input    string // "to" (or "recipient") verbatim
	waID     string
	template string // name
	category string // template category, "" for free-form messages
	failure  *webhookErr
}

func chars(s string) int { return utf8.RuneCountInString(s) }

// validate checks a send request (not a read receipt) per PROTOCOL §1.
func (e *Emulator) validate(req *whatsapp.SendRequest) (*outbound, *apiError) {
	switch req.MessagingProduct {
	case whatsapp.MessagingProduct:
	case "":
		return nil, errorf(100, "The parameter messaging_product is required.")
	default:
		return nil, errorf(100, "Param messaging_product must be one of {WHATSAPP} - got %q.", req.MessagingProduct)
	}
	switch req.RecipientType {
	case "", "individual":
	case "group":
		return nil, errorf(100, "recipient_type group is not supported by the emulator.")
	default:
		return nil, errorf(100, "Param recipient_type must be one of {INDIVIDUAL, GROUP} - got %q.", req.RecipientType)
	}
	o := &outbound{input: req.To}
	switch {
	case req.To != "":
		if o.waID = waID(req.To); o.waID == "" {
			return nil, errorf(100, "Param to %q is not a valid phone number.", trimLen(req.To, 40))
		}
	case req.Recipient != "":
		if !bsuidRE.MatchString(req.Recipient) {
			return nil, errorf(100, "Param recipient %q is not a valid business-scoped user id.", trimLen(req.Recipient, 40))
		}
		o.input, o.waID = req.Recipient, req.Recipient
	default:
		return nil, errorf(100, "The parameter to is required.")
	}
	if o.waID == e.cfg.DisplayPhoneNumber {
		return nil, errorf(131021, "Sender and recipient phone number is the same.")
	}
	if chars(req.BizOpaqueCallbackData) > bizOpaqueMax {
		return nil, errorf(131009, "biz_opaque_callback_data is longer than %d characters.", bizOpaqueMax)
	}
	o.typ = req.Type
	if o.typ == "" {
		// Meta's own examples omit type for a text ("Send Text Message with
		// Preview URL") and an interactive message ("Send Reply to List
		// Message"): take the one message object present.
		if o.typ = impliedType(req); o.typ == "" {
			return nil, errorf(131008, "The parameter type is required.")
		}
	}
	var err *apiError
	switch o.typ {
	case "text":
		err = checkText(req.Text)
	case "image", "audio", "video", "document", "sticker":
		m := map[string]*whatsapp.Media{"image": req.Image, "audio": req.Audio, "video": req.Video,
			"document": req.Document, "sticker": req.Sticker}[o.typ]
		o.failure, err = e.checkMedia(o.typ, m)
		if err == nil && m.Caption != "" && chars(m.Caption) > captionMax {
			err = errorf(131009, "%s caption is longer than %d characters.", o.typ, captionMax)
		}
	case "location":
		err = checkLocation(req.Location)
	case "contacts":
		err = checkContacts(req.Contacts)
	case "interactive":
		o.failure, err = e.checkInteractive(req.Interactive)
	case "reaction":
		err = checkReaction(req.Reaction)
	case "template":
		if req.Template == nil {
			return nil, errorf(131008, "The parameter template is required.")
		}
		if req.Template.Name == "" || req.Template.Language.Code == "" {
			return nil, errorf(131008, "The parameters template.name and template.language.code are required.")
		}
		o.template = req.Template.Name
		o.category, err = e.templates.check(req.Template)
	default:
		return nil, errorf(100, "Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO} - got %q.", trimLen(o.typ, 40))
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}

// impliedType returns the type of the only message object of req, or "".
func impliedType(req *whatsapp.SendRequest) string {
	typ := ""
	for name, set := range map[string]bool{
		"text": req.Text != nil, "image": req.Image != nil, "audio": req.Audio != nil, "video": req.Video != nil,
		"document": req.Document != nil, "sticker": req.Sticker != nil, "location": req.Location != nil,
		"contacts": len(req.Contacts) > 0, "interactive": req.Interactive != nil, "template": req.Template != nil,
		"reaction": req.Reaction != nil,
	} {
		if set {
			if typ != "" {
				return ""
			}
			typ = name
		}
	}
	return typ
}

func checkText(t *whatsapp.Text) *apiError {
	if t == nil {
		return errorf(131008, "The parameter text is required.")
	}
	if t.Body == "" {
		return errorf(131008, "The parameter text.body is required.")
	}
	if n := chars(t.Body); n > textMax {
		return errorf(131009, "text.body is %d characters, more than %d.", n, textMax)
	}
	return nil
}

// checkMedia checks a media object: exactly one of an uploaded id and a
// link. A link the emulator cannot treat as downloadable fails the message
// asynchronously with 131053, as Meta does when the download fails.
func (e *Emulator) checkMedia(kind string, m *whatsapp.Media) (*webhookErr, *apiError) {
	switch {
	case m == nil:
		return nil, errorf(131008, "The parameter %s is required.", kind)
	case m.ID != "" && m.Link != "":
		return nil, errorf(131009, "%s: set exactly one of id and link, not both.", kind)
	case m.ID == "" && m.Link == "":
		return nil, errorf(131008, "%s: one of id and link is required.", kind)
	case m.ID != "":
		if e.media.get(m.ID) == nil {
			return nil, errorf(100, "%s: %q is not a valid media id (upload it to /{phone-number-id}/media first).", kind, trimLen(m.ID, 40))
		}
	default:
		u, err := url.Parse(m.Link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f := webhookError(131053, fmt.Sprintf("Unable to download the media from the link %q.", trimLen(m.Link, 80)))
			return &f, nil
		}
	}
	return nil, nil
}

func checkLocation(l *whatsapp.Location) *apiError {
	if l == nil {
		return errorf(131008, "The parameter location is required.")
	}
	if l.Latitude < -90 || l.Latitude > 90 || l.Longitude < -180 || l.Longitude > 180 {
		return errorf(131009, "location: latitude must be within ±90 and longitude within ±180.")
	}
	return nil
}

func checkContacts(cs []json.RawMessage) *apiError {
	if len(cs) == 0 {
		return errorf(131008, "The parameter contacts is required.")
	}
	if len(cs) > contactsMax {
		return errorf(131009, "contacts: at most %d contacts per message.", contactsMax)
	}
	for i, raw := range cs {
		var c struct {
			Name *struct {
				FormattedName string `json:"formatted_name"`
			} `json:"name"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return errorf(131009, "contacts[%d]: %v", i, err)
		}
		if c.Name == nil || c.Name.FormattedName == "" {
			return errorf(131008, "contacts[%d]: name.formatted_name is required.", i)
		}
	}
	return nil
}

func checkReaction(r *whatsapp.Reaction) *apiError {
	if r == nil {
		return errorf(131008, "The parameter reaction is required.")
	}
	if r.MessageID == "" {
		return errorf(131008, "The parameter reaction.message_id is required.")
	}
	if chars(r.Emoji) > 10 {
		return errorf(131009, "reaction.emoji must be a single emoji.")
	}
	return nil
}

// interactiveTypes are the interactive types the emulator accepts; button
// and list are checked in full, the others for their body.
var interactiveTypes = []string{
	"button", "list", "flow", "cta_url", "location_request_message", "product", "product_list",
	"catalog_message", "order_details", "order_status", "address_message", "call_permission_request",
	"contact_request", "voice_call",
}

func (e *Emulator) checkInteractive(in *whatsapp.Interactive) (*webhookErr, *apiError) {
	if in == nil {
		return nil, errorf(131008, "The parameter interactive is required.")
	}
	if in.Type == "" {
		return nil, errorf(131008, "The parameter interactive.type is required.")
	}
	if !slices.Contains(interactiveTypes, in.Type) {
		return nil, errorf(100, "Param interactive.type %q is not a supported interactive type.", trimLen(in.Type, 40))
	}
	if in.Footer != nil && chars(in.Footer.Text) > footerMax {
		return nil, errorf(131009, "interactive.footer.text is longer than %d characters.", footerMax)
	}
	switch in.Type {
	case "button":
		return e.checkButtons(in)
	case "list":
		return nil, checkList(in)
	case "product", "product_list":
		if in.Action == nil || in.Action.CatalogID == "" {
			return nil, errorf(131008, "interactive.action.catalog_id is required.")
		}
		if in.Type == "product" && in.Action.ProductRetailerID == "" {
			return nil, errorf(131008, "interactive.action.product_retailer_id is required.")
		}
		if in.Type == "product_list" && len(in.Action.Sections) == 0 {
			return nil, errorf(131008, "interactive.action.sections is required.")
		}
		return nil, nil
	}
	if in.Body == nil || in.Body.Text == "" {
		return nil, errorf(131008, "interactive.body.text is required.")
	}
	if in.Action == nil {
		return nil, errorf(131008, "interactive.action is required.")
	}
	return nil, nil
}

func (e *Emulator) checkButtons(in *whatsapp.Interactive) (*webhookErr, *apiError) {
	if in.Body == nil || in.Body.Text == "" {
		return nil, errorf(131008, "interactive.body.text is required.")
	}
	if n := chars(in.Body.Text); n > interactiveBodyMax {
		return nil, errorf(131009, "interactive.body.text is %d characters, more than %d.", n, interactiveBodyMax)
	}
	var failure *webhookErr
	if h := in.Header; h != nil {
		switch h.Type {
		case "text":
			if h.Text == "" || chars(h.Text) > headerTextMax {
				return nil, errorf(131009, "interactive.header.text must be 1 to %d characters.", headerTextMax)
			}
		case "image", "video", "document":
			m := map[string]*whatsapp.Media{"image": h.Image, "video": h.Video, "document": h.Document}[h.Type]
			f, err := e.checkMedia("interactive.header."+h.Type, m)
			if err != nil {
				return nil, err
			}
			failure = f
		default:
			return nil, errorf(131009, "interactive.header.type must be text, image, video or document, got %q.", h.Type)
		}
	}
	if in.Action == nil || len(in.Action.Buttons) == 0 {
		return nil, errorf(131008, "interactive.action.buttons is required.")
	}
	if len(in.Action.Buttons) > buttonsMax {
		return nil, errorf(131009, "interactive.action.buttons: at most %d buttons, got %d.", buttonsMax, len(in.Action.Buttons))
	}
	titles := map[string]bool{}
	ids := map[string]bool{}
	for i, b := range in.Action.Buttons {
		switch {
		case b.Type != "reply":
			return nil, errorf(131009, "interactive.action.buttons[%d].type must be reply.", i)
		case b.Reply.ID == "" || chars(b.Reply.ID) > buttonIDMax:
			return nil, errorf(131009, "interactive.action.buttons[%d].reply.id must be 1 to %d characters.", i, buttonIDMax)
		case b.Reply.Title == "" || chars(b.Reply.Title) > buttonTitleMax:
			return nil, errorf(131009, "interactive.action.buttons[%d].reply.title must be 1 to %d characters.", i, buttonTitleMax)
		case titles[b.Reply.Title]:
			return nil, errorf(131009, "interactive.action.buttons: button titles must be unique (%q).", b.Reply.Title)
		case ids[b.Reply.ID]:
			return nil, errorf(131009, "interactive.action.buttons: button ids must be unique (%q).", b.Reply.ID)
		}
		titles[b.Reply.Title], ids[b.Reply.ID] = true, true
	}
	return failure, nil
}

func checkList(in *whatsapp.Interactive) *apiError {
	if in.Body == nil || in.Body.Text == "" {
		return errorf(131008, "interactive.body.text is required.")
	}
	if n := chars(in.Body.Text); n > listBodyMax {
		return errorf(131009, "interactive.body.text is %d characters, more than %d.", n, listBodyMax)
	}
	if h := in.Header; h != nil {
		if h.Type != "text" {
			return errorf(131009, "interactive.header.type of a list must be text, got %q.", h.Type)
		}
		if chars(h.Text) > headerTextMax {
			return errorf(131009, "interactive.header.text is longer than %d characters.", headerTextMax)
		}
	}
	a := in.Action
	if a == nil || a.Button == "" {
		return errorf(131008, "interactive.action.button is required.")
	}
	if chars(a.Button) > listButtonMax {
		return errorf(131009, "interactive.action.button is longer than %d characters.", listButtonMax)
	}
	if len(a.Sections) == 0 {
		return errorf(131008, "interactive.action.sections is required.")
	}
	if len(a.Sections) > sectionsMax {
		return errorf(131009, "interactive.action.sections: at most %d sections, got %d.", sectionsMax, len(a.Sections))
	}
	rows := 0
	ids := map[string]bool{}
	for i, s := range a.Sections {
		if len(a.Sections) > 1 && s.Title == "" {
			return errorf(131008, "interactive.action.sections[%d].title is required when there are several sections.", i)
		}
		if chars(s.Title) > sectionTitleMax {
			return errorf(131009, "interactive.action.sections[%d].title is longer than %d characters.", i, sectionTitleMax)
		}
		if len(s.Rows) == 0 {
			return errorf(131008, "interactive.action.sections[%d].rows is required.", i)
		}
		for j, r := range s.Rows {
			rows++
			switch {
			case r.ID == "" || chars(r.ID) > rowIDMax:
				return errorf(131009, "interactive.action.sections[%d].rows[%d].id must be 1 to %d characters.", i, j, rowIDMax)
			case r.Title == "" || chars(r.Title) > rowTitleMax:
				return errorf(131009, "interactive.action.sections[%d].rows[%d].title must be 1 to %d characters.", i, j, rowTitleMax)
			case chars(r.Description) > rowDescriptionMax:
				return errorf(131009, "interactive.action.sections[%d].rows[%d].description is longer than %d characters.", i, j, rowDescriptionMax)
			case ids[r.ID]:
				return errorf(131009, "interactive.action.sections: row ids must be unique (%q).", r.ID)
			}
			ids[r.ID] = true
		}
	}
	if rows > rowsMax {
		return errorf(131009, "interactive.action.sections: at most %d rows in total, got %d.", rowsMax, rows)
	}
	return nil
}
