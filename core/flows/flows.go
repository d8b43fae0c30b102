package flows

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/contacts"
	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/delivery"
	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

var (
	// ErrMissingField means a path a flow needs is absent from the event.
	ErrMissingField = errors.New("missing field")
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
	flows       []config.Flow
	outboxTopic string
}

// New returns a Router for the configured flows that enqueues the messages
// it creates on outboxTopic.
func New(db *store.DB, messages *delivery.Store, flows []config.Flow, outboxTopic string) *Router {
	return &Router{db: db, messages: messages, flows: flows, outboxTopic: outboxTopic}
}

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
	if err := r.db.Reader().QueryRowContext(ctx, `SELECT body, received_at FROM events WHERE id = ?`, id).Scan(&raw, &received); err != nil {
		return fmt.Errorf("event %s: load: %w", id, err)
	}
	ev, err := event.Decode(raw, time.UnixMilli(received))
	if err != nil {
		return deadletter.Permanent(fmt.Errorf("event %s: %w", id, err))
	}
	var planned []delivery.NewMessage
	for _, f := range r.flows {
		if !Matches(f, ev) {
			continue
		}
		req, err := Render(f, ev)
		if err != nil {
			return deadletter.Permanent(fmt.Errorf("event %s: %w", id, err))
		}
		planned = append(planned, delivery.NewMessage{
			EventID:   id,
			Flow:      f.Name,
			DedupeKey: strings.Join([]string{f.Name, id, req.To, "0"}, "|"),
			Request:   req,
		})
	}
	if len(planned) == 0 {
		return nil
	}
	err = r.db.Write(ctx, func(tx *store.Tx) error {
		for _, p := range planned {
			if _, _, err := r.messages.EnqueueTx(ctx, tx, p, r.outboxTopic); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// Matches reports whether flow f starts on event ev.
func Matches(f config.Flow, ev *event.Event) bool {
	return f.On.Type == ev.Type && (f.On.Source == "" || f.On.Source == ev.Source)
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
func fill(f config.Flow, ev *event.Event) (string, error) {
	var missing string
	out := placeholder.ReplaceAllStringFunc(f.Text, func(m string) string {
		path := placeholder.FindStringSubmatch(m)[1]
		v, ok := ev.Lookup(path)
		if !ok && missing == "" {
			missing = path
		}
		return v
	})
	if missing != "" {
		return "", &RenderError{Flow: f.Name, Field: missing, Err: ErrMissingField}
	}
	return out, nil
}
