package whatsapp

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// This file holds the Cloud API wire format: the JSON bodies Parley sends to
// and receives from Meta's Graph API, field for field as in Meta's OpenAPI
// description (business-messaging-api_v23.0.yaml) and PROTOCOL.md. The
// emulator uses the same types, so both sides of the sandbox speak one format.

// MessagingProduct is the constant value of every messaging_product field.
const MessagingProduct = "whatsapp"

// SendRequest is the body of POST /{version}/{phone-number-id}/messages.
// Exactly one of the per-type objects is set, named by Type. A mark-as-read
// request instead sets Status ("read") and MessageID.
type SendRequest struct {
	MessagingProduct      string            `json:"messaging_product"`
	RecipientType         string            `json:"recipient_type,omitempty"`
	To                    string            `json:"to,omitempty"`
	Recipient             string            `json:"recipient,omitempty"`
	Type                  string            `json:"type,omitempty"`
	Context               *SendContext      `json:"context,omitempty"`
	BizOpaqueCallbackData string            `json:"biz_opaque_callback_data,omitempty"`
	Text                  *Text             `json:"text,omitempty"`
	Image                 *Media            `json:"image,omitempty"`
	Audio                 *Media            `json:"audio,omitempty"`
	Video                 *Media            `json:"video,omitempty"`
	Document              *Media            `json:"document,omitempty"`
	Sticker               *Media            `json:"sticker,omitempty"`
	Location              *Location         `json:"location,omitempty"`
	Contacts              []json.RawMessage `json:"contacts,omitempty"`
	Interactive           *Interactive      `json:"interactive,omitempty"`
	Template              *Template         `json:"template,omitempty"`
	Reaction              *Reaction         `json:"reaction,omitempty"`
	Status                string            `json:"status,omitempty"`
	MessageID             string            `json:"message_id,omitempty"`
	TypingIndicator       *TypingIndicator  `json:"typing_indicator,omitempty"`
}

// SendContext quotes an earlier message (a contextual reply).
type SendContext struct {
	MessageID string `json:"message_id"`
}

// Text is a text message body.
type Text struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

// Media is an image, audio, video, document or sticker, by uploaded ID or by
// link (exactly one of the two).
type Media struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Location is a location message.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Reaction reacts to a message with an emoji; an empty emoji removes it.
type Reaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

// TypingIndicator shows the typing indicator with a read receipt.
type TypingIndicator struct {
	Type string `json:"type"`
}

// Interactive is an interactive message: reply buttons ("button"), a list
// menu ("list"), or another interactive type whose action is kept raw.
type Interactive struct {
	Type   string             `json:"type"`
	Header *InteractiveHeader `json:"header,omitempty"`
	Body   *InteractiveText   `json:"body,omitempty"`
	Footer *InteractiveText   `json:"footer,omitempty"`
	Action *Action            `json:"action,omitempty"`
}

// InteractiveHeader is the header of an interactive message.
type InteractiveHeader struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	Image    *Media `json:"image,omitempty"`
	Video    *Media `json:"video,omitempty"`
	Document *Media `json:"document,omitempty"`
}

// InteractiveText is a body or footer of an interactive message.
type InteractiveText struct {
	Text string `json:"text"`
}

// Action is the action of an interactive message. Buttons is used by reply
// buttons, Button and Sections by lists; other interactive types (flow,
// product, catalog ...) keep their fields in Name and Parameters.
type Action struct {
	Buttons           []Button        `json:"buttons,omitempty"`
	Button            string          `json:"button,omitempty"`
	Sections          []Section       `json:"sections,omitempty"`
	Name              string          `json:"name,omitempty"`
	Parameters        json.RawMessage `json:"parameters,omitempty"`
	CatalogID         string          `json:"catalog_id,omitempty"`
	ProductRetailerID string          `json:"product_retailer_id,omitempty"`
}

// Button is one reply button.
type Button struct {
	Type  string      `json:"type"`
	Reply ButtonReply `json:"reply"`
}

// ButtonReply is the id and title of a reply button (and of the reply a
// customer sends by tapping it).
type ButtonReply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Section is a section of a list menu.
type Section struct {
	Title        string          `json:"title,omitempty"`
	Rows         []Row           `json:"rows,omitempty"`
	ProductItems json.RawMessage `json:"product_items,omitempty"`
}

// Row is one row of a list menu.
type Row struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Template is a template message.
type Template struct {
	Name       string              `json:"name"`
	Language   TemplateLanguage    `json:"language"`
	Components []TemplateComponent `json:"components,omitempty"`
}

// TemplateLanguage names the template's language and locale, such as en_US.
type TemplateLanguage struct {
	Code   string `json:"code"`
	Policy string `json:"policy,omitempty"`
}

// TemplateComponent fills one component (header, body or a button) of a
// template. Index is a number or a numeric string on the wire; both decode.
type TemplateComponent struct {
	Type       string              `json:"type"`
	SubType    string              `json:"sub_type,omitempty"`
	Index      FlexString          `json:"index,omitempty"`
	Parameters []TemplateParameter `json:"parameters,omitempty"`
}

// TemplateParameter is one parameter value. ParameterName is set for
// templates with named parameters and empty for positional ones.
type TemplateParameter struct {
	Type          string          `json:"type"`
	ParameterName string          `json:"parameter_name,omitempty"`
	Text          string          `json:"text,omitempty"`
	Payload       string          `json:"payload,omitempty"`
	Currency      *Currency       `json:"currency,omitempty"`
	DateTime      *DateTime       `json:"date_time,omitempty"`
	Image         *Media          `json:"image,omitempty"`
	Video         *Media          `json:"video,omitempty"`
	Document      *Media          `json:"document,omitempty"`
	Location      *Location       `json:"location,omitempty"`
	Action        json.RawMessage `json:"action,omitempty"`
}

// UnmarshalJSON decodes a parameter, accepting a JSON number or boolean for
// text as its literal string ("true", "42"): Meta's own "Send Sample Issue
// Resolution Template" example sends "text": true, and Graph coerces scalars.
// A parameter always encodes text as a JSON string.
func (p *TemplateParameter) UnmarshalJSON(b []byte) error {
	type plain TemplateParameter
	aux := struct {
		*plain
		Text scalarString `json:"text,omitempty"`
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	p.Text = string(aux.Text)
	return nil
}

// scalarString decodes any JSON scalar (string, number, boolean) into its
// literal text; null leaves it empty.
type scalarString string

func (s *scalarString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = scalarString(v)
	case string(b) == "null":
	case string(b) == "true" || string(b) == "false":
		*s = scalarString(b)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string, number or boolean, got %.40s", b)
		}
		*s = scalarString(n.String())
	}
	return nil
}

// Currency is a currency template parameter.
type Currency struct {
	FallbackValue string `json:"fallback_value"`
	Code          string `json:"code"`
	Amount1000    int64  `json:"amount_1000"`
}

// DateTime is a date_time template parameter. Meta renders FallbackValue;
// the calendar fields appear in Meta's send examples (business-messaging-api
// v23.0 "Send Message Template ..." examples) and are kept so that a request
// decodes and re-encodes without loss. They are pointers because 0 is a
// valid hour or minute.
type DateTime struct {
	FallbackValue string `json:"fallback_value"`
	Calendar      string `json:"calendar,omitempty"`
	DayOfWeek     *int   `json:"day_of_week,omitempty"`
	DayOfMonth    *int   `json:"day_of_month,omitempty"`
	Month         *int   `json:"month,omitempty"`
	Year          *int   `json:"year,omitempty"`
	Hour          *int   `json:"hour,omitempty"`
	Minute        *int   `json:"minute,omitempty"`
}

// FlexString decodes a JSON string or number into a string; it encodes as a
// string. Meta's examples send template button indexes both ways.
type FlexString string

// UnmarshalJSON accepts "0" and 0 alike.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", b)
	}
	*f = FlexString(n.String())
	return nil
}

// SendResponse is the 200 body of a send.
type SendResponse struct {
	MessagingProduct string            `json:"messaging_product"`
	Contacts         []ResponseContact `json:"contacts,omitempty"`
	Messages         []ResponseMessage `json:"messages,omitempty"`
	Success          *bool             `json:"success,omitempty"`
}

// ResponseContact echoes the caller's input and the resolved WhatsApp id.
type ResponseContact struct {
	Input string `json:"input"`
	WaID  string `json:"wa_id"`
}

// ResponseMessage carries the new message's wamid.
type ResponseMessage struct {
	ID            string `json:"id"`
	MessageStatus string `json:"message_status,omitempty"`
	GroupID       string `json:"group_id,omitempty"`
}

// ErrorEnvelope is the body of every Graph API error response.
type ErrorEnvelope struct {
	Error GraphError `json:"error"`
}

// GraphError is a synchronous Graph API error.
type GraphError struct {
	Message        string     `json:"message"`
	Type           string     `json:"type"`
	Code           int        `json:"code"`
	ErrorSubcode   int        `json:"error_subcode,omitempty"`
	ErrorData      *ErrorData `json:"error_data,omitempty"`
	IsTransient    *bool      `json:"is_transient,omitempty"`
	ErrorUserTitle string     `json:"error_user_title,omitempty"`
	ErrorUserMsg   string     `json:"error_user_msg,omitempty"`
	FBTraceID      string     `json:"fbtrace_id,omitempty"`
}

// ErrorData holds an error's details.
type ErrorData struct {
	MessagingProduct string `json:"messaging_product,omitempty"`
	Details          string `json:"details,omitempty"`
}

// WebhookError is an asynchronous error as carried in webhooks
// (value.errors[], messages[].errors[], statuses[].errors[]).
type WebhookError struct {
	Code      int        `json:"code"`
	Title     string     `json:"title,omitempty"`
	Message   string     `json:"message,omitempty"`
	ErrorData *ErrorData `json:"error_data,omitempty"`
	Href      string     `json:"href,omitempty"`
}

// WebhookPayload is the body of a webhook POST.
type WebhookPayload struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Entry is one WhatsApp Business Account's batch of changes. Time is set on
// non-messages fields.
type Entry struct {
	ID      string   `json:"id"`
	Time    int64    `json:"time,omitempty"`
	Changes []Change `json:"changes"`
}

// Change is one change; Value's shape depends on Field. Parse decodes the
// value of the fields Parley handles.
type Change struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

// MessagesValue is the value of a "messages" change: inbound messages,
// statuses of outbound messages, or account-level errors.
type MessagesValue struct {
	MessagingProduct string           `json:"messaging_product"`
	Metadata         Metadata         `json:"metadata"`
	Contacts         []Contact        `json:"contacts,omitempty"`
	Messages         []InboundMessage `json:"messages,omitempty"`
	Statuses         []Status         `json:"statuses,omitempty"`
	Errors           []WebhookError   `json:"errors,omitempty"`
}

// Metadata names the business number that the change concerns.
type Metadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

// Contact is the sender's profile. WaID may be absent for users known only
// by a business-scoped user id (UserID).
type Contact struct {
	Profile Profile `json:"profile"`
	WaID    string  `json:"wa_id,omitempty"`
	UserID  string  `json:"user_id,omitempty"`
}

// Profile is a WhatsApp user's profile.
type Profile struct {
	Name     string `json:"name,omitempty"`
	Username string `json:"username,omitempty"`
}

// InboundMessage is a message a customer sent. From may be absent (business-
// scoped user ids, 2026); FromUserID then identifies the sender. The per-type
// object is kept raw in the field named by Type, with text, interactive and
// button replies decoded for routing.
type InboundMessage struct {
	From        string              `json:"from,omitempty"`
	FromUserID  string              `json:"from_user_id,omitempty"`
	ID          string              `json:"id"`
	Timestamp   string              `json:"timestamp"`
	Type        string              `json:"type"`
	Context     *InboundContext     `json:"context,omitempty"`
	Text        *Text               `json:"text,omitempty"`
	Button      *InboundButton      `json:"button,omitempty"`
	Interactive *InboundInteractive `json:"interactive,omitempty"`
	Referral    json.RawMessage     `json:"referral,omitempty"`
	Image       json.RawMessage     `json:"image,omitempty"`
	Audio       json.RawMessage     `json:"audio,omitempty"`
	Video       json.RawMessage     `json:"video,omitempty"`
	Document    json.RawMessage     `json:"document,omitempty"`
	Sticker     json.RawMessage     `json:"sticker,omitempty"`
	Location    json.RawMessage     `json:"location,omitempty"`
	Contacts    json.RawMessage     `json:"contacts,omitempty"`
	Reaction    *Reaction           `json:"reaction,omitempty"`
	Order       json.RawMessage     `json:"order,omitempty"`
	System      json.RawMessage     `json:"system,omitempty"`
	Unsupported json.RawMessage     `json:"unsupported,omitempty"`
	Errors      []WebhookError      `json:"errors,omitempty"`
}

// InboundContext links an inbound message to an earlier one.
type InboundContext struct {
	From                string          `json:"from,omitempty"`
	ID                  string          `json:"id,omitempty"`
	Forwarded           bool            `json:"forwarded,omitempty"`
	FrequentlyForwarded bool            `json:"frequently_forwarded,omitempty"`
	ReferredProduct     json.RawMessage `json:"referred_product,omitempty"`
}

// InboundButton is a tap on a template's quick-reply button.
type InboundButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

// InboundInteractive is a reply to an interactive message.
type InboundInteractive struct {
	Type        string          `json:"type"`
	ButtonReply *ButtonReply    `json:"button_reply,omitempty"`
	ListReply   *Row            `json:"list_reply,omitempty"`
	NfmReply    json.RawMessage `json:"nfm_reply,omitempty"`
}

// Status is a status update of an outbound message.
type Status struct {
	ID                     string         `json:"id"`
	Status                 string         `json:"status"`
	Timestamp              string         `json:"timestamp"`
	RecipientID            string         `json:"recipient_id,omitempty"`
	RecipientUserID        string         `json:"recipient_user_id,omitempty"`
	RecipientType          string         `json:"recipient_type,omitempty"`
	RecipientParticipantID string         `json:"recipient_participant_id,omitempty"`
	GroupID                string         `json:"group_id,omitempty"`
	BizOpaqueCallbackData  string         `json:"biz_opaque_callback_data,omitempty"`
	Conversation           *Conversation  `json:"conversation,omitempty"`
	Pricing                *Pricing       `json:"pricing,omitempty"`
	Errors                 []WebhookError `json:"errors,omitempty"`
}

// Conversation is the conversation a status belongs to.
type Conversation struct {
	ID                  string              `json:"id"`
	ExpirationTimestamp string              `json:"expiration_timestamp,omitempty"`
	Origin              *ConversationOrigin `json:"origin,omitempty"`
}

// ConversationOrigin is the conversation's category.
type ConversationOrigin struct {
	Type string `json:"type"`
}

// Pricing is the per-message pricing object of a status.
type Pricing struct {
	Billable     *bool  `json:"billable,omitempty"`
	PricingModel string `json:"pricing_model"`
	Type         string `json:"type,omitempty"`
	Category     string `json:"category"`
}

// TemplateStatusUpdate is the value of a message_template_status_update change.
type TemplateStatusUpdate struct {
	Event                   string          `json:"event"`
	MessageTemplateID       json.Number     `json:"message_template_id"`
	MessageTemplateName     string          `json:"message_template_name"`
	MessageTemplateLanguage string          `json:"message_template_language"`
	Reason                  *string         `json:"reason"`
	MessageTemplateCategory string          `json:"message_template_category,omitempty"`
	DisableInfo             json.RawMessage `json:"disable_info,omitempty"`
	OtherInfo               json.RawMessage `json:"other_info,omitempty"`
	RejectionInfo           json.RawMessage `json:"rejection_info,omitempty"`

	// WABAID and Time are not on the wire: Parse fills them from the
	// enclosing entry (its id, and its time, when Meta emitted the change;
	// zero if absent).
	WABAID string    `json:"-"`
	Time   time.Time `json:"-"`
}

// TemplateList is the body of GET /{waba-id}/message_templates.
type TemplateList struct {
	Data   []TemplateInfo `json:"data"`
	Paging *Paging        `json:"paging,omitempty"`
}

// TemplateInfo describes one message template (one name + language).
type TemplateInfo struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	Language        string            `json:"language"`
	Status          string            `json:"status"`
	Category        string            `json:"category"`
	ParameterFormat string            `json:"parameter_format,omitempty"`
	Components      []json.RawMessage `json:"components,omitempty"`
}

// Paging is Graph's cursor paging.
type Paging struct {
	Cursors struct {
		Before string `json:"before,omitempty"`
		After  string `json:"after,omitempty"`
	} `json:"cursors"`
	Next string `json:"next,omitempty"`
}

// UnixString parses a webhook timestamp: Unix seconds as a decimal string.
func UnixString(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("timestamp %q: want Unix seconds as a decimal string", s)
	}
	return n, nil
}
