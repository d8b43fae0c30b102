package policy

import (
	"errors"
	"fmt"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/guard"
	"github.com/parley-hub/parley/core/templates"
	"github.com/parley-hub/parley/core/whatsapp"
	"github.com/parley-hub/parley/core/window"
)

// Outcome is what the gate does with a message.
type Outcome string

// The outcomes.
const (
	// Send releases the message to the outbox as it is.
	Send Outcome = "send"
	// SendTemplate releases the flow's template instead of its free-form
	// message, because the window is closed.
	SendTemplate Outcome = "send_template"
	// DeferUntil keeps the message until a time (quiet hours, a cap with
	// action defer, the pair limit), then decides again.
	DeferUntil Outcome = "defer_until"
	// Fallback sends nothing and runs the fallback action instead: the
	// agent queue or a connector action (a closed window, no template).
	Fallback Outcome = "fallback"
	// Block sends nothing.
	Block Outcome = "block"
)

// Reason codes: stable strings, stored with each decision.
const (
	ReasonOK               = "ok"
	ReasonKeywordReply     = "keyword.reply"          // send: confirmation of a keyword, consent not required
	ReasonBotPaused        = "handoff.bot_paused"     // block
	ReasonOptedOut         = "consent.opted_out"      // block
	ReasonNoOptIn          = "consent.no_opt_in"      // block
	ReasonTemplateUnknown  = "template.unknown"       // block
	ReasonTemplateNotReady = "template.not_approved"  // block
	ReasonTemplateParams   = "template.params"        // block
	ReasonWindowTemplate   = "window.closed.template" // send_template
	ReasonWindowFallback   = "window.closed.fallback" // fallback
	ReasonWindowClosed     = "window.closed"          // block: no template and no fallback
	ReasonCap              = "guard.cap"              // block, or defer_until with cap action defer
	ReasonQuietHours       = "guard.quiet_hours"      // defer_until
	ReasonPairPacing       = "guard.pair_pacing"      // defer_until
	ReasonPairThrottled    = "guard.pair_throttled"   // defer_until, after a 131056
)

// Origins of a message.
const (
	OriginFlow    = "flow"    // a flow on an event from a system
	OriginBot     = "bot"     // a flow on a customer's message (paused by a handoff)
	OriginAPI     = "api"     // POST /v1/messages
	OriginKeyword = "keyword" // the confirmation of a stop or start keyword
	OriginSystem  = "system"
)

// WindowMargin is how long before the window closes a free-form message is
// no longer released: it must reach the platform while the window is open.
const WindowMargin = time.Minute

// FallbackAction is what a flow does when its free-form message cannot go
// and no template fits.
type FallbackAction struct {
	// Handoff puts the conversation in the agent queue.
	Handoff bool `json:"handoff,omitempty"`
	// Action is a connector action (a ticket, an email).
	Action *config.FlowAction `json:"action,omitempty"`
}

func (f *FallbackAction) String() string {
	switch {
	case f == nil:
		return "none"
	case f.Action != nil:
		return "connector action " + f.Action.Name
	case f.Handoff:
		return "agent queue"
	}
	return "none"
}

// Message is what Decide knows of the message itself.
type Message struct {
	ID     string
	Origin string
	Flow   string
	// Kind is the request's type: template, text, interactive, ...
	Kind string
	// Category is the declared purpose; "" derives it from the template,
	// or service for anything else.
	Category string
	// LawfulBasis overrides the purpose's configured basis when set.
	LawfulBasis string
	// Template is the variant of a template request, TemplateErr why it
	// cannot be sent (templates.ErrUnknown, ErrNotApproved, ErrParams, ...).
	Template    *templates.Variant
	TemplateErr error
	// Alternative is the template to send when the window is closed, with
	// its variant or the reason it does not fit.
	Alternative    *whatsapp.SendRequest
	AltVariant     *templates.Variant
	AltErr         error
	FallbackAction *FallbackAction
}

// Facts are what the gate knows of the recipient at the time of deciding.
type Facts struct {
	Now time.Time
	// Location is the recipient's time zone.
	Location *time.Location
	Consent  consent.State
	Window   window.State
	// Paused reports the conversation in the agent queue.
	Paused bool
	// Sent are the release times of the messages of the decided category
	// to the recipient within the longest cap period.
	Sent func(category string) []time.Time
	// PairAt is when the pair limit lets a message go to the recipient
	// (zero or not after Now: at once).
	PairAt time.Time
}

// Rules are the configured policy.
type Rules struct {
	// Bases is the lawful basis of each purpose.
	Bases map[string]string
	// Transactional are the categories that bypass caps and quiet hours.
	Transactional map[string]bool
	Caps          guard.Caps
	Quiet         guard.QuietHours
}

// NewRules builds the rules of a config.
func NewRules(c *config.Config) (Rules, error) {
	q, err := guard.NewQuietHours(c.Guard.QuietHours)
	if err != nil {
		return Rules{}, err
	}
	b := c.Consent.LawfulBasis
	t := c.Guard.Transactional
	return Rules{
		Bases: map[string]string{
			consent.Marketing: b.Marketing, consent.Utility: b.Utility,
			consent.Authentication: b.Authentication, consent.Service: b.Service,
		},
		Transactional: map[string]bool{consent.Utility: t.Utility, consent.Authentication: t.Authentication, consent.Service: t.Service},
		Caps:          guard.NewCaps(c.Guard.Caps),
		Quiet:         q,
	}, nil
}

// Decision is the gate's verdict on one message.
type Decision struct {
	Outcome Outcome `json:"outcome"`
	// Reason is a stable code (Reason*); Detail says it in a sentence.
	Reason      string `json:"reason"`
	Detail      string `json:"detail"`
	Purpose     string `json:"purpose"`
	LawfulBasis string `json:"lawful_basis"`
	// Template and Language name the template sent (send of a template,
	// send_template).
	Template string `json:"template,omitempty"`
	Language string `json:"language,omitempty"`
	// DeferUntil is set for defer_until.
	DeferUntil time.Time `json:"defer_until,omitzero"`
	// Fallback is the action run for fallback.
	Fallback *FallbackAction `json:"fallback,omitempty"`
	// Request is the template request send_template sends instead.
	Request *whatsapp.SendRequest `json:"-"`
}

// Decide is the one pre-send decision. It is pure: the same rules, message
// and facts give the same decision. The checks, in order:
//
//  1. a bot message while the conversation is with an agent: block;
//  2. consent for the purpose: an opt-out blocks; under the basis consent,
//     so does the lack of an opt-in (a keyword's confirmation is exempt);
//  3. a template must be known, approved and its parameters must fit: else
//     block;
//  4. a free-form message needs the window open (for another minute): else
//     the flow's template (send_template, consent checked for its
//     category), else its fallback action (fallback), else block;
//  5. unless the category is transactional: frequency caps (block, or
//     defer until the cap has room) and quiet hours in the recipient's
//     time zone (defer until they end);
//  6. the pair limit: defer until the recipient's next slot.
func Decide(r Rules, m Message, f Facts) Decision {
	d := Decision{}
	category := m.Category
	if category == "" {
		category = consent.Service
		if m.Template != nil && m.Template.Category != "" {
			category = m.Template.Category
		}
	}
	d.setPurpose(r, category, m.LawfulBasis)
	if m.Template != nil {
		d.Template, d.Language = m.Template.Name, m.Template.Language
	}

	if f.Paused && m.Origin == OriginBot {
		return d.block(ReasonBotPaused, "the conversation is with an agent; the bot is paused until it is handed back")
	}
	if m.Origin != OriginKeyword {
		if reason, detail, ok := consentOK(f.Consent, d.Purpose, d.LawfulBasis); !ok {
			return d.block(reason, detail)
		}
	}
	out, reason := Send, ReasonOK
	if m.Origin == OriginKeyword {
		reason = ReasonKeywordReply
	}
	if m.Kind == "template" {
		if m.TemplateErr != nil || m.Template == nil {
			return d.block(templateReason(m.TemplateErr), fmt.Sprintf("the template cannot be sent: %v", m.TemplateErr))
		}
	} else if closes := f.Window.ClosesAt; !f.Window.Open || f.Now.Add(WindowMargin).After(closes) {
		why := "the customer-service window is closed"
		if !closes.IsZero() {
			why += " (closes " + closes.UTC().Format(time.RFC3339) + ")"
		} else {
			why = "the contact has never written, so there is no customer-service window"
		}
		switch {
		case m.Alternative != nil && m.AltErr == nil && m.AltVariant != nil:
			alt := *m.AltVariant
			d.setPurpose(r, alt.Category, "")
			d.Template, d.Language = alt.Name, alt.Language
			if reason, detail, ok := consentOK(f.Consent, d.Purpose, d.LawfulBasis); !ok {
				return d.block(reason, why+"; the template instead: "+detail)
			}
			out, reason, d.Request = SendTemplate, ReasonWindowTemplate, m.Alternative
			d.Detail = why + "; sending template " + alt.Name + " (" + alt.Language + ") instead"
		case m.FallbackAction != nil:
			d.Outcome, d.Reason, d.Fallback = Fallback, ReasonWindowFallback, m.FallbackAction
			d.Detail = why + altWhy(m) + "; fallback: " + m.FallbackAction.String()
			return d
		default:
			return d.block(ReasonWindowClosed, why+altWhy(m)+"; no fallback")
		}
	}
	if !r.Transactional[d.Purpose] {
		if f.Sent != nil {
			if v := r.Caps.Check(d.Purpose, f.Sent(d.Purpose), f.Now); !v.OK {
				detail := fmt.Sprintf("%d %s messages in the last %s (cap %d)", v.Sent, d.Purpose, v.Cap.Period, v.Cap.Max)
				if v.Cap.Action == "defer" {
					return d.deferTo(ReasonCap, v.FreeAt, detail+"; deferred until the cap has room")
				}
				return d.block(ReasonCap, detail)
			}
		}
		loc := f.Location
		if loc == nil {
			loc = time.UTC
		}
		if quiet, until := r.Quiet.Until(f.Now, loc); quiet {
			return d.deferTo(ReasonQuietHours, until, "quiet hours in "+loc.String())
		}
	}
	if f.PairAt.After(f.Now) {
		return d.deferTo(ReasonPairPacing, f.PairAt, "the pair rate limit to this recipient")
	}
	d.Outcome, d.Reason = out, reason
	if d.Detail == "" {
		d.Detail = "consent, window and guardrails allow it"
		if reason == ReasonKeywordReply {
			d.Detail = "confirmation of the contact's keyword"
		}
	}
	return d
}

func altWhy(m Message) string {
	switch {
	case m.Alternative == nil:
		return "; the flow has no template for a closed window"
	case m.AltErr != nil:
		return fmt.Sprintf("; its template does not fit: %v", m.AltErr)
	}
	return ""
}

func (d *Decision) setPurpose(r Rules, category, basis string) {
	d.Purpose = category
	d.LawfulBasis = basis
	if d.LawfulBasis == "" {
		d.LawfulBasis = r.Bases[category]
	}
	if d.LawfulBasis == "" {
		d.LawfulBasis = consent.BasisLegitimateInterests
	}
}

func (d Decision) block(reason, detail string) Decision {
	d.Outcome, d.Reason, d.Detail, d.Request = Block, reason, detail, nil
	return d
}

func (d Decision) deferTo(reason string, t time.Time, detail string) Decision {
	d.Outcome, d.Reason, d.DeferUntil = DeferUntil, reason, t.UTC()
	d.Detail = detail + "; deferred until " + t.UTC().Format(time.RFC3339)
	return d
}

// consentOK applies the ledger's state of a purpose under its basis.
func consentOK(st consent.State, purpose, basis string) (string, string, bool) {
	s := st.Of(purpose)
	switch {
	case s.Status == consent.OptOut:
		return ReasonOptedOut, fmt.Sprintf("the contact opted out of %s (%s, %s)", purpose, s.Record.Source, s.Record.EffectiveAt.Format(time.RFC3339)), false
	case basis == consent.BasisConsent && s.Status != consent.OptIn:
		return ReasonNoOptIn, fmt.Sprintf("%s needs an opt-in (lawful basis consent) and none is on record", purpose), false
	}
	return "", "", true
}

func templateReason(err error) string {
	switch {
	case errors.Is(err, templates.ErrParams):
		return ReasonTemplateParams
	case errors.Is(err, templates.ErrNotApproved), errors.Is(err, templates.ErrNoVariant):
		return ReasonTemplateNotReady
	}
	return ReasonTemplateUnknown
}
