package config

import "time"

// This file holds the configuration of the policy gate (issue 3): contacts,
// consent, the customer-service window and the guardrails, and the parts of
// templates and flows the gate reads.

// Contacts configures how people are identified.
type Contacts struct {
	DefaultRegion   string `koanf:"default_region" pattern:"^[A-Z]{2}$" example:"BR" desc:"Country (ISO 3166-1 alpha-2) of phone numbers written without a country code. Empty refuses such numbers: an event whose phone cannot be read is dead-lettered with the reason, never guessed."`
	DefaultTimeZone string `koanf:"default_time_zone" default:"UTC" required:"true" format:"timezone" desc:"Time zone (IANA name) for contacts whose zone is not known: not given as the contact attribute time_zone and not implied by their phone number's prefix. Quiet hours are kept in the recipient's zone."`
	DefaultLocale   string `koanf:"default_locale" default:"en_US" required:"true" pattern:"^[a-z]{2,3}(_[A-Z]{2})?$" desc:"Language of contacts whose language is not known (contact.locale of their events)."`
}

// Consent configures the consent ledger's rules.
type Consent struct {
	LawfulBasis  ConsentBases   `koanf:"lawful_basis" desc:"The lawful basis of each purpose, recorded with every decision. consent means a message needs an opt-in on record; any other basis allows it unless the contact opted out of that purpose."`
	StopPurposes []string       `koanf:"stop_purposes" desc:"Purposes a stop keyword opts the contact out of (and a start keyword back in). Empty means [marketing]: utility messages such as shipping updates still go out."`
	Keywords     []ConsentWords `koanf:"keywords" desc:"Stop and start keywords per language, each matched only as the whole message (ignoring case, surrounding spaces and trailing punctuation). A stop records the opt-out and sends stop_reply. Empty means the built-in English (STOP, UNSUBSCRIBE / START), Portuguese (PARAR, SAIR / VOLTAR) and Spanish (BAJA, ALTO / ALTA) sets."`
}

// ConsentBases is the lawful basis of each purpose.
type ConsentBases struct {
	Marketing      string `koanf:"marketing" default:"consent" required:"true" enum:"consent|contract|legal_obligation|vital_interests|public_task|legitimate_interests" desc:"Marketing templates."`
	Utility        string `koanf:"utility" default:"contract" required:"true" enum:"consent|contract|legal_obligation|vital_interests|public_task|legitimate_interests" desc:"Utility templates: order, shipping and account updates."`
	Authentication string `koanf:"authentication" default:"contract" required:"true" enum:"consent|contract|legal_obligation|vital_interests|public_task|legitimate_interests" desc:"Authentication templates: one-time codes."`
	Service        string `koanf:"service" default:"legitimate_interests" required:"true" enum:"consent|contract|legal_obligation|vital_interests|public_task|legitimate_interests" desc:"Free-form and interactive messages inside the customer-service window."`
}

// ConsentWords are one language's stop and start keywords.
type ConsentWords struct {
	Locale     string   `koanf:"locale" required:"true" pattern:"^[a-z]{2,3}(_[A-Z]{2})?$" example:"en" desc:"Language of the keywords and replies; the replies go to contacts who write one of the keywords."`
	Stop       []string `koanf:"stop" example:"[STOP, UNSUBSCRIBE]" desc:"Messages that opt the contact out of stop_purposes."`
	Start      []string `koanf:"start" example:"[START]" desc:"Messages that opt the contact back in."`
	StopReply  string   `koanf:"stop_reply" example:"You will not get marketing messages from us any more. Reply START to get them again." desc:"Confirmation sent after a stop. Empty sends none."`
	StartReply string   `koanf:"start_reply" example:"You will get our marketing messages again. Reply STOP to stop them." desc:"Confirmation sent after a start. Empty sends none."`
}

// Window configures the customer-service window.
type Window struct {
	ExpiringBefore time.Duration `koanf:"expiring_before" default:"1h" min:"0s" desc:"How long before a contact's customer-service window closes (24 h after their last message) the event window.expiring fires (source parley, contact.phone the contact's, data.closes_at), so a flow can act while free-form messages are still allowed. 0 turns it off."`
}

// Guard configures the guardrails: frequency caps, quiet hours, pacing.
type Guard struct {
	Transactional Transactional `koanf:"transactional" desc:"Categories that bypass frequency caps and quiet hours. Consent and the window always apply."`
	Caps          []Cap         `koanf:"caps" desc:"Frequency caps: at most max messages of a category to one contact in any period."`
	QuietHours    QuietHours    `koanf:"quiet_hours" desc:"Hours, in the recipient's time zone, in which messages that are not transactional wait: they are deferred to the end of the quiet hours, never dropped."`
	Pacing        Pacing        `koanf:"pacing" desc:"Sending pace: the business number's throughput and the per-recipient pair limit of the Cloud API."`
}

// Transactional says which categories bypass caps and quiet hours.
type Transactional struct {
	Utility        bool `koanf:"utility" default:"true" desc:"Utility templates bypass caps and quiet hours."`
	Authentication bool `koanf:"authentication" default:"true" desc:"Authentication templates bypass caps and quiet hours."`
	Service        bool `koanf:"service" default:"true" desc:"Free-form and interactive replies inside the window bypass caps and quiet hours."`
}

// Cap is one frequency cap.
type Cap struct {
	Category string        `koanf:"category" required:"true" enum:"marketing|utility|authentication|service" example:"marketing" desc:"Category of the messages counted."`
	Max      int           `koanf:"max" min:"1" example:"2" desc:"Most messages of the category to one contact in any period."`
	Period   time.Duration `koanf:"period" min:">0" example:"168h" desc:"Length of the sliding period, e.g. 24h or 168h (a week)."`
	Action   string        `koanf:"action" default:"block" required:"true" enum:"block|defer" desc:"What happens to a message over the cap: block records it as blocked; defer sends it once the oldest counted message leaves the period."`
}

// QuietHours are the hours in which non-transactional messages wait.
type QuietHours struct {
	Enabled bool   `koanf:"enabled" default:"true" desc:"Whether quiet hours apply."`
	Start   string `koanf:"start" default:"21:00" required:"true" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$" desc:"Start of the quiet hours, HH:MM in the recipient's time zone."`
	End     string `koanf:"end" default:"08:00" required:"true" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$" desc:"End of the quiet hours, HH:MM; before start means the next day."`
}

// Pacing configures the sending pace.
type Pacing struct {
	Enabled      bool          `koanf:"enabled" default:"true" desc:"Whether Parley paces its sends. Turn it off only against an emulator without limits (benchmarks)."`
	Rate         int           `koanf:"rate" default:"80" min:"1" max:"1000" desc:"Messages per second from the business number: 80 by default, up to 1,000 once Meta has upgraded the number. Parley stays just under it, and slows down for a while when the Cloud API answers 130429."`
	PairInterval time.Duration `koanf:"pair_interval" default:"6s" min:">0" desc:"The pair rate limit: one message per interval to the same recipient, on average."`
	PairBurst    int           `koanf:"pair_burst" default:"45" min:"1" desc:"Messages to one recipient that may go at once before pair_interval applies. A message over the limit is deferred, without holding up other recipients; a 131056 answer backs that recipient off (4^n seconds)."`
}

// TemplateParam describes one parameter of a template.
type TemplateParam struct {
	Name     string `koanf:"name" required:"true" pattern:"^[a-z][a-z0-9_]*$" example:"order_number" desc:"Parameter name: the placeholder of a named template ({{order_number}}); for a positional one, documentation."`
	Type     string `koanf:"type" default:"text" required:"true" enum:"text|number|currency|date|date_time" desc:"What the value is. number, currency and date values are formatted in the variant's language (1.234,5 in pt_BR); currency sends a currency parameter, date_time a date_time parameter."`
	Currency string `koanf:"currency" pattern:"^[A-Z]{3}$" example:"BRL" desc:"ISO 4217 code of a currency parameter."`
	MaxLen   int    `koanf:"max_length" min:"0" desc:"Longest text value accepted, in characters; 0 means no limit beyond the platform's."`
}

// TemplateVariant is one language of a template.
type TemplateVariant struct {
	Language string `koanf:"language" required:"true" pattern:"^[a-z]{2,3}(_[A-Z]{2})?$" example:"pt_BR" desc:"Language code, e.g. en_US, pt_BR, es."`
	Body     string `koanf:"body" required:"true" example:"Olá {{1}}, seu pedido {{2}} foi enviado." desc:"Body text with the template's placeholders."`
}

// Condition is a test on a field of an event.
type Condition struct {
	Field  string   `koanf:"field" required:"true" format:"eventpath" example:"data.country" desc:"Event path of the value tested."`
	Op     string   `koanf:"op" default:"eq" required:"true" enum:"eq|ne|in|not_in|exists|missing|contains|matches|gt|gte|lt|lte" desc:"Test: eq, ne, in, not_in (values), exists, missing, contains (substring), matches (regular expression), gt, gte, lt, lte (numbers)."`
	Value  string   `koanf:"value" example:"BR" desc:"Value compared with; a number for gt, gte, lt and lte, a regular expression for matches."`
	Values []string `koanf:"values" desc:"Values for in and not_in."`
}

// Interactive is a message with reply buttons or a list menu. A reply
// starts the flow its option names as next.
type Interactive struct {
	Type    string   `koanf:"type" required:"true" enum:"button|list" desc:"button: up to 3 reply buttons; list: a menu of up to 10 rows."`
	Header  string   `koanf:"header" desc:"Header text. Optional."`
	Body    string   `koanf:"body" required:"true" example:"How can we help?" desc:"Body text, with {{path}} placeholders filled from the event."`
	Footer  string   `koanf:"footer" desc:"Footer text. Optional."`
	Button  string   `koanf:"button" example:"Options" desc:"Label of the button that opens a list (list only; default Options)."`
	Options []Option `koanf:"options" desc:"The buttons or the rows of the list."`
}

// Option is one reply button or list row.
type Option struct {
	ID          string `koanf:"id" required:"true" pattern:"^[A-Za-z0-9_.:-]{1,200}$" example:"order_status" desc:"Id of the reply; unique in the menu."`
	Title       string `koanf:"title" required:"true" example:"Order status" desc:"Label: at most 20 characters for a button, 24 for a row."`
	Description string `koanf:"description" desc:"Row description (list only), at most 72 characters."`
	Section     string `koanf:"section" desc:"Section title of a list row; rows with the same section are grouped."`
	Next        string `koanf:"next" example:"order_status" desc:"Flow that runs when the customer picks this option (with the reply as event message.reply). Empty: only flows triggered by message.reply with a condition on data.reply_id react."`
}

// WhenClosed is what a flow sends, or does, when its free-form message
// cannot go out because the customer-service window is closed.
type WhenClosed struct {
	Template *FlowTemplate `koanf:"template" desc:"Approved template sent instead."`
	Action   FlowAction    `koanf:"action" desc:"Connector action run instead when no template is set or fits, e.g. zendesk.create_ticket. Without template and action, the conversation goes to the agent queue."`
}

// EventTypes of the events Parley itself emits, which flows may use as
// triggers.
const (
	// EventMessageReceived is a customer's message that is not a keyword
	// (source whatsapp; data.text, data.type, data.wamid).
	EventMessageReceived = "message.received"
	// EventMessageReply is a customer's pick of a reply button or list row
	// (data.reply_id, data.reply_title, data.menu_flow, data.next).
	EventMessageReply = "message.reply"
	// EventWindowExpiring fires window.expiring_before a window closes.
	EventWindowExpiring = "window.expiring"
	// EventEscalated is a conversation handed over to a person.
	EventEscalated = "conversation.escalated"
)
