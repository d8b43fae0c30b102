package flows

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/consent"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/handoff"
	"github.com/parley-hub/parley/core/policy"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/templates"
	"github.com/parley-hub/parley/core/whatsapp"
)

// Policy is what the Router needs to hand its messages to the policy gate:
// contacts to resolve each event's person, the template registry to pick
// each template's language, and the default language.
type Policy struct {
	Contacts      *contacts.Store
	Templates     *templates.Registry
	Phones        contacts.Phones
	DefaultLocale string
}

// WithPolicy makes r resolve contacts, record connectors' consent events,
// pick template languages through the fallback chain, render menus and
// closed-window alternatives, and attach what the gate needs to each
// message (its topic is then the gate's); it returns r.
func (r *Router) WithPolicy(p *Policy) *Router {
	r.policy = p
	return r
}

// planned is one message a flow makes for an event.
type planned struct {
	msg  delivery.NewMessage
	meta policy.Meta
	// own reports the recipient is the event's contact.
	own bool
}

// profile is what the event says of its person.
func (p *Policy) profile(ev *event.Event) contacts.Profile {
	pr := contacts.Profile{Name: ev.Contact.Name, Email: ev.Contact.Email, Locale: ev.Contact.Locale}
	if ev.Contact.Phone != "" {
		pr.Phone, _ = p.Phones.Normalize(ev.Contact.Phone)
	}
	if ev.Contact.ExternalID != "" {
		pr.External = ev.Source + ":" + ev.Contact.ExternalID
	}
	for _, k := range []string{"time_zone", "timezone"} {
		if tz, ok := ev.Contact.Attributes[k].(string); ok && pr.TimeZone == "" {
			pr.TimeZone = tz
		}
	}
	if wa, ok := ev.Contact.Attributes["wa_id"].(string); ok {
		pr.WaID = wa
	}
	if len(ev.Contact.Attributes) > 0 {
		pr.Attributes = ev.Contact.Attributes
	}
	return pr
}

// locale is the language to send the event's contact in: the event's
// contact.locale, else the stored contact's, else the default.
func (p *Policy) locale(ctx context.Context, q *store.DB, pr contacts.Profile) string {
	if l := contacts.CanonicalLocale(pr.Locale); l != "" {
		return l
	}
	if pr.Phone != "" {
		var l string
		err := q.ReadRow(ctx, `SELECT COALESCE(c.locale, '') FROM contact_identities i JOIN contacts c ON c.id = i.contact_id
			WHERE i.kind = ? AND i.value = ?`, contacts.KindPhone, pr.Phone).Scan(&l)
		if err == nil && l != "" {
			return l
		}
	}
	return p.DefaultLocale
}

// plan renders flow f's message for event ev in the contact's locale.
func (p *Policy) plan(ctx context.Context, f config.Flow, ev *event.Event, eventID, locale, contactPhone string) (*planned, error) {
	raw, ok := ev.Lookup(f.To)
	if !ok {
		return nil, &RenderError{Flow: f.Name, Field: f.To, Err: ErrMissingField}
	}
	to, err := p.Phones.Normalize(raw)
	if err != nil {
		return nil, &RenderError{Flow: f.Name, Field: f.To, Value: raw, Err: err}
	}
	req := &whatsapp.SendRequest{MessagingProduct: whatsapp.MessagingProduct, RecipientType: "individual", To: to}
	meta := policy.Meta{Origin: policy.OriginFlow, Category: f.Category}
	if f.On.Type == config.EventMessageReceived || f.On.Type == config.EventMessageReply {
		meta.Origin = policy.OriginBot
	}
	switch {
	case f.Template != nil:
		t, err := p.template(ctx, f.Name, f.Template, ev, locale)
		if err != nil {
			return nil, err
		}
		req.Type, req.Template = "template", t
	case f.Interactive != nil:
		in, err := renderInteractive(f, ev)
		if err != nil {
			return nil, err
		}
		req.Type, req.Interactive = "interactive", in
	default:
		body, err := fillText(f.Name, f.Text, ev)
		if err != nil {
			return nil, err
		}
		req.Type, req.Text = "text", &whatsapp.Text{Body: body}
	}
	if req.Type != "template" {
		meta.Fallback = &policy.FallbackAction{Handoff: true}
		if w := f.WhenClosed; w != nil {
			if w.Template != nil {
				t, err := p.template(ctx, f.Name, w.Template, ev, locale)
				if err != nil {
					return nil, err
				}
				meta.Alternative = &whatsapp.SendRequest{MessagingProduct: whatsapp.MessagingProduct, RecipientType: "individual", To: to, Type: "template", Template: t}
			}
			if w.Action.Name != "" {
				a := w.Action
				meta.Fallback = &policy.FallbackAction{Action: &a}
			}
		}
	}
	return &planned{
		msg: delivery.NewMessage{
			EventID: eventID, Flow: f.Name, Request: req,
			DedupeKey: strings.Join([]string{f.Name, eventID, to, "0"}, "|"),
		},
		meta: meta,
		own:  to == contactPhone,
	}, nil
}

// template renders a flow's template in the language the chain picks:
// the flow's language if it names one, else the contact's locale, its
// parents and the template's default. A template whose chain has no
// approved variant is still rendered (in its default language): the gate
// then blocks it with the reason, on the record.
func (p *Policy) template(ctx context.Context, flow string, ft *config.FlowTemplate, ev *event.Event, locale string) (*whatsapp.Template, error) {
	values := make([]string, len(ft.Params))
	for i, path := range ft.Params {
		v, ok := ev.Lookup(path)
		if !ok {
			return nil, &RenderError{Flow: flow, Field: path, Err: ErrMissingField}
		}
		values[i] = v
	}
	var v templates.Variant
	var err error
	if ft.Language != "" {
		v, err = p.Templates.Variant(ctx, ft.Name, ft.Language)
	} else {
		v, err = p.Templates.Resolve(ctx, ft.Name, locale)
		if errors.Is(err, templates.ErrNoVariant) {
			v, err = p.Templates.Variant(ctx, ft.Name, templates.Chain("", p.defaultLanguage(ctx, ft.Name))[0])
		}
	}
	if err != nil {
		return nil, &RenderError{Flow: flow, Field: "template", Value: ft.Name, Err: err}
	}
	t, err := v.Build(values)
	if err != nil {
		return nil, &RenderError{Flow: flow, Field: "template.params", Err: err}
	}
	return t, nil
}

func (p *Policy) defaultLanguage(ctx context.Context, name string) string {
	vs, err := p.Templates.Variants(ctx, name)
	if err != nil || len(vs) == 0 {
		return p.DefaultLocale
	}
	return vs[0].Language
}

// consequencesTx applies what an event means for its contact, inside the
// transaction that enqueues the event's messages: a connector's consent
// change is appended to the ledger (an invalid one is left out), and an
// escalated conversation enters the agent queue.
func consequencesTx(ctx context.Context, tx *store.Tx, ev *event.Event, eventID, contactID string, now time.Time) error {
	if rec, ok := consent.FromEvent(ev, eventID, contactID); ok {
		var fe *consent.FieldError
		if _, err := consent.RecordTx(ctx, tx, rec, now); err != nil && !errors.As(err, &fe) {
			return err
		}
	}
	if ev.Type == config.EventEscalated {
		detail, _ := ev.Lookup("data.keyword")
		if detail == "" {
			detail, _ = ev.Lookup("data.text")
		}
		if _, _, err := handoff.OpenTx(ctx, tx, contactID, handoff.ReasonEscalation, detail, eventID, now); err != nil {
			return err
		}
	}
	return nil
}

// effectsTx applies a flow's effects on the event's contact: its tags, and
// a handoff to the agent queue.
func effectsTx(ctx context.Context, tx *store.Tx, f config.Flow, eventID, contactID string, now time.Time) error {
	for _, tag := range f.Tags {
		if err := contacts.TagTx(ctx, tx, contactID, tag, now); err != nil {
			return err
		}
	}
	if f.Handoff {
		if _, _, err := handoff.OpenTx(ctx, tx, contactID, handoff.ReasonFlow, f.Name, eventID, now); err != nil {
			return err
		}
	}
	return nil
}
