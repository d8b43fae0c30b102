package flows

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/policy"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

var (
	// ErrMissingField means a path a flow needs is absent from the event.
	ErrMissingField = errors.New("missing field")
	// ErrNoActions means a flow names a connector action but the Router
	// was given no ActionQueue.
	ErrNoActions = errors.New("flow names an action but no connectors run")
)

// RenderError says which flow failed to build its message from which field.
type RenderError struct {
	Flow  string
	Field string
	Value string
	Err   error
}

func (e *RenderError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("flow %q: %s: %v", e.Flow, e.Field, e.Err)
	}
	return fmt.Sprintf("flow %q: %s: %v (got %q)", e.Flow, e.Field, e.Err, e.Value)
}

// Unwrap returns the cause.
func (e *RenderError) Unwrap() error { return e.Err }

// Router matches events to flows and creates their messages.
type Router struct {
	db          *store.DB
	messages    *delivery.Store
	flows       atomic.Pointer[[]config.Flow] // swapped by Reload
	outboxTopic string
	actions     ActionQueue // nil: no flow names an action
	policy      *Policy     // nil: no contacts, no gate metadata
	now         func() time.Time
}

// New returns a Router for the configured flows that enqueues the messages
// it creates on outboxTopic (with WithPolicy, the policy gate's topic).
func New(db *store.DB, messages *delivery.Store, flows []config.Flow, outboxTopic string) *Router {
	r := &Router{db: db, messages: messages, outboxTopic: outboxTopic, now: time.Now}
	r.Reload(flows)
	return r
}

// Reload replaces the flows (a changed config file); events already being
// routed finish with the flows they started with.
func (r *Router) Reload(flows []config.Flow) { r.flows.Store(&flows) }

// Handle is the Watermill handler of the events topic; the payload is the
// event id. For every matching flow it creates the message and enqueues it,
// in one transaction per event; the outbound message key (flow, event,
// recipient, step) makes a redelivery create nothing new. An event a flow
// cannot render (a missing field, a bad phone number) is dead-lettered
// with the reason and nothing is sent for it.
func (r *Router) Handle(msg *message.Message) error {
	ctx := msg.Context()
	id := string(msg.Payload)
	var raw []byte
	var received int64
	if err := r.db.ReadRow(ctx, `SELECT body, received_at FROM events WHERE id = ?`, id).Scan(&raw, &received); err != nil {
		return fmt.Errorf("event %s: load: %w", id, err)
	}
	ev, err := event.Decode(raw, time.UnixMilli(received))
	if err != nil {
		return deadletter.Permanent(fmt.Errorf("event %s: %w", id, err))
	}
	flows := *r.flows.Load()
	var matched []config.Flow
	next := nextSteps(flows, ev)
	for _, f := range flows {
		if Matches(f, ev) || slices.Contains(next, f.Name) {
			matched = append(matched, f)
		}
	}
	var profile contacts.Profile
	locale := ""
	if r.policy != nil {
		profile = r.policy.profile(ev)
		locale = r.policy.locale(ctx, r.db, profile)
	}
	var plans []*planned
	var actions, effects []config.Flow
	for _, f := range matched {
		if len(f.Tags) > 0 || f.Handoff {
			effects = append(effects, f)
		}
		if f.Action.Name != "" {
			actions = append(actions, f)
			continue
		}
		if f.Template == nil && f.Text == "" && f.Interactive == nil {
			continue // tags or handoff only
		}
		if r.policy == nil {
			req, err := Render(f, ev)
			if err != nil {
				return deadletter.Permanent(fmt.Errorf("event %s: %w", id, err))
			}
			plans = append(plans, &planned{msg: delivery.NewMessage{
				EventID:   id,
				Flow:      f.Name,
				DedupeKey: strings.Join([]string{f.Name, id, req.To, "0"}, "|"),
				Request:   req,
			}})
			continue
		}
		p, err := r.policy.plan(ctx, f, ev, id, locale, profile.Phone)
		if err != nil {
			return deadletter.Permanent(fmt.Errorf("event %s: %w", id, err))
		}
		plans = append(plans, p)
	}
	hasPerson := r.policy != nil && (profile.Phone != "" || profile.Email != "" || profile.External != "" || profile.WaID != "")
	if len(plans) == 0 && len(actions) == 0 && !hasPerson {
		return nil
	}
	if len(actions) > 0 && r.actions == nil {
		return deadletter.Permanent(fmt.Errorf("event %s: flow %q: %w", id, actions[0].Name, ErrNoActions))
	}
	err = r.db.Write(ctx, func(tx *store.Tx) error {
		contactID := ""
		if hasPerson {
			var err error
			if contactID, err = r.policy.Contacts.ResolveTx(ctx, tx, profile); err != nil {
				return err
			}
			if err := consequencesTx(ctx, tx, ev, id, contactID, r.now()); err != nil {
				return err
			}
		}
		for _, p := range plans {
			mid, created, err := r.messages.EnqueueTx(ctx, tx, p.msg, r.outboxTopic)
			if err != nil {
				return err
			}
			if created && r.policy != nil {
				if p.own {
					p.meta.ContactID = contactID
				}
				if err := policy.AttachTx(ctx, tx, mid, p.meta); err != nil {
					return err
				}
			}
		}
		if contactID != "" {
			for _, f := range effects {
				if err := effectsTx(ctx, tx, f, id, contactID, r.now()); err != nil {
					return err
				}
			}
		}
		for _, f := range actions {
			if err := r.actions.EnqueueActionTx(ctx, tx, f, id); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// Matches reports whether flow f starts on event ev: the type and source
// match and every condition holds.
func Matches(f config.Flow, ev *event.Event) bool {
	if f.On.Type != ev.Type || f.On.Source != "" && f.On.Source != ev.Source {
		return false
	}
	for _, c := range f.On.Conditions {
		if !Holds(c, ev) {
			return false
		}
	}
	return true
}

// Render builds the Cloud API request flow f sends for event ev.
func Render(f config.Flow, ev *event.Event) (*whatsapp.SendRequest, error) {
	raw, ok := ev.Lookup(f.To)
	if !ok {
		return nil, &RenderError{Flow: f.Name, Field: f.To, Err: ErrMissingField}
	}
	to, err := contacts.NormalizePhone(raw)
	if err != nil {
		return nil, &RenderError{Flow: f.Name, Field: f.To, Value: raw, Err: err}
	}
	if f.Template == nil {
		body, err := fill(f, ev)
		if err != nil {
			return nil, err
		}
		return &whatsapp.SendRequest{MessagingProduct: whatsapp.MessagingProduct, RecipientType: "individual", To: to, Type: "text", Text: &whatsapp.Text{Body: body}}, nil
	}
	lang := f.Template.Language
	if lang == "" {
		lang = strings.ReplaceAll(ev.Contact.Locale, "-", "_")
	}
	if lang == "" {
		lang = "en_US"
	}
	params := make([]whatsapp.TemplateParameter, 0, len(f.Template.Params))
	for _, p := range f.Template.Params {
		v, ok := ev.Lookup(p)
		if !ok {
			return nil, &RenderError{Flow: f.Name, Field: p, Err: ErrMissingField}
		}
		params = append(params, whatsapp.TemplateParameter{Type: "text", Text: v})
	}
	t := &whatsapp.Template{Name: f.Template.Name, Language: whatsapp.TemplateLanguage{Code: lang}}
	if len(params) > 0 {
		t.Components = []whatsapp.TemplateComponent{{Type: "body", Parameters: params}}
	}
	return &whatsapp.SendRequest{MessagingProduct: whatsapp.MessagingProduct, RecipientType: "individual", To: to, Type: "template", Template: t}, nil
}

var placeholder = regexp.MustCompile(`\{\{\s*([a-z_]+(?:\.[A-Za-z0-9_]+)*)\s*\}\}`)

// fill replaces {{path}} placeholders in a flow's text with event values.
func fill(f config.Flow, ev *event.Event) (string, error) { return fillText(f.Name, f.Text, ev) }

// fillText replaces {{path}} placeholders in text with event values.
func fillText(flow, text string, ev *event.Event) (string, error) {
	var missing string
	out := placeholder.ReplaceAllStringFunc(text, func(m string) string {
		path := placeholder.FindStringSubmatch(m)[1]
		v, ok := ev.Lookup(path)
		if !ok && missing == "" {
			missing = path
		}
		return v
	})
	if missing != "" {
		return "", &RenderError{Flow: flow, Field: missing, Err: ErrMissingField}
	}
	return out, nil
}
