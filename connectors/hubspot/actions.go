package hubspot

import (
	sdkphone "github.com/parley-hub/parley/sdk/phone"

	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/parley-hub/parley/sdk"
)

// Actions.
const (
	ActionLookupContact = "lookup_contact"
	ActionAddNote       = "add_note"
)

// maxNoteBody is HubSpot's limit on hs_note_body, in characters.
const maxNoteBody = 65536

var actionSpecs = []sdk.ActionSpec{
	{
		Name: ActionLookupContact,
		Description: "Find a HubSpot contact by phone (CRM search on mobilephone and phone). " +
			"Stored phones are free text, so the usual renderings of the number are searched (E.164, international, national, digits). " +
			"Output: found (bool), contact_id, name, firstname, lastname, email, phone, mobilephone, locale, total (matches).",
		Input: []sdk.Field{
			{Name: "phone", Description: "The phone to look for; E.164, or national in default_region.", Example: "+15551234567", Required: true},
		},
	},
	{
		Name: ActionAddNote,
		Description: "Add a note (such as a WhatsApp transcript) to a contact's timeline. Output: note_id, contact_id. " +
			"HubSpot has no idempotency key for notes: a retry with the same idempotency key returns the first note while this plugin process lives.",
		Input: []sdk.Field{
			{Name: "body", Description: "The note text; HTML is allowed; longer than 65,536 characters is truncated.", Example: "WhatsApp conversation:\nCustomer: Where is my order?", Required: true},
			{Name: "contact_id", Description: "The HubSpot contact id; when empty the contact is looked up by phone.", Example: "1246965"},
			{Name: "phone", Description: "The contact's phone, used when contact_id is empty.", Example: "+15551234567"},
			{Name: "timestamp", Description: "When the note happened (RFC 3339); default now.", Example: "2026-05-01T10:00:00Z"},
		},
	},
}

// Do runs an action. Bad or missing inputs and a phone that matches no
// contact (for add_note) are sdk.ErrBadRequest; API 429/5xx answers are
// sdk.RetryableError.
func (c *Connector) Do(ctx context.Context, req sdk.ActionRequest) (sdk.ActionResult, error) {
	st, err := c.state()
	if err != nil {
		return sdk.ActionResult{}, err
	}
	switch req.Action {
	case ActionLookupContact:
		return c.lookupContact(ctx, st, req)
	case ActionAddNote:
		return c.addNote(ctx, st, req)
	default:
		return sdk.ActionResult{}, fmt.Errorf("%w: unknown action %q", sdk.ErrBadRequest, req.Action)
	}
}

func (c *Connector) lookupContact(ctx context.Context, st *state, req sdk.ActionRequest) (sdk.ActionResult, error) {
	phone, err := inputPhone(req, st.cfg.defaultRegion)
	if err != nil {
		return sdk.ActionResult{}, err
	}
	results, total, err := st.api.searchByPhone(ctx, sdkphone.Renderings(phone))
	if err != nil {
		return sdk.ActionResult{}, fmt.Errorf("%s: %w", req.Action, err)
	}
	if len(results) == 0 {
		return sdk.ActionResult{Output: map[string]any{"found": false, "total": 0}}, nil
	}
	p := results[0].Properties
	out := map[string]any{
		"found":       true,
		"total":       total,
		"contact_id":  results[0].ID,
		"name":        personName(p["firstname"], p["lastname"]),
		"firstname":   p["firstname"],
		"lastname":    p["lastname"],
		"email":       p["email"],
		"phone":       p["phone"],
		"mobilephone": p["mobilephone"],
		"locale":      p["hs_language"],
	}
	return sdk.ActionResult{Output: out}, nil
}

func (c *Connector) addNote(ctx context.Context, st *state, req sdk.ActionRequest) (sdk.ActionResult, error) {
	if out, ok := c.notes.get(req.IdempotencyKey); ok {
		return sdk.ActionResult{Output: out}, nil
	}
	body, err := inputString(req, "body")
	if err != nil {
		return sdk.ActionResult{}, err
	}
	if strings.TrimSpace(body) == "" {
		return sdk.ActionResult{}, fmt.Errorf("%w: %s: input \"body\" is empty", sdk.ErrBadRequest, req.Action)
	}
	body = truncate(body, maxNoteBody)
	at := c.now()
	if ts, err := inputString(req, "timestamp"); err != nil {
		return sdk.ActionResult{}, err
	} else if ts != "" {
		if at, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			return sdk.ActionResult{}, fmt.Errorf("%w: %s: input \"timestamp\" %q is not RFC 3339", sdk.ErrBadRequest, req.Action, ts)
		}
	}
	contactID, err := inputString(req, "contact_id")
	if err != nil {
		return sdk.ActionResult{}, err
	}
	if contactID == "" {
		if v, _ := inputString(req, "phone"); v == "" {
			return sdk.ActionResult{}, fmt.Errorf("%w: %s: give contact_id or phone", sdk.ErrBadRequest, req.Action)
		}
		phone, err := inputPhone(req, st.cfg.defaultRegion)
		if err != nil {
			return sdk.ActionResult{}, err
		}
		results, _, err := st.api.searchByPhone(ctx, sdkphone.Renderings(phone))
		if err != nil {
			return sdk.ActionResult{}, fmt.Errorf("%s: find contact: %w", req.Action, err)
		}
		if len(results) == 0 {
			return sdk.ActionResult{}, fmt.Errorf("%w: %s: no HubSpot contact has phone %s", sdk.ErrBadRequest, req.Action, phone)
		}
		contactID = results[0].ID
	}
	id, err := st.api.createNote(ctx, contactID, body, at)
	if err != nil {
		if isNotFound(err) {
			return sdk.ActionResult{}, fmt.Errorf("%w: %s: %v", sdk.ErrBadRequest, req.Action, err)
		}
		return sdk.ActionResult{}, fmt.Errorf("%s: %w", req.Action, err)
	}
	out := map[string]any{"note_id": id, "contact_id": contactID}
	c.notes.put(req.IdempotencyKey, out)
	return sdk.ActionResult{Output: out}, nil
}

// inputString reads a text input; numbers (json.Number) are accepted as
// their text, so an id may be given either way.
func inputString(req sdk.ActionRequest, name string) (string, error) {
	switch v := req.Input[name].(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(v), nil
	case json.Number:
		return v.String(), nil
	case float64, int, int64:
		return fmt.Sprint(v), nil
	default:
		return "", fmt.Errorf("%w: %s: input %q must be a string, got %T", sdk.ErrBadRequest, req.Action, name, v)
	}
}

func inputPhone(req sdk.ActionRequest, region string) (string, error) {
	raw, err := inputString(req, "phone")
	if err != nil {
		return "", err
	}
	if raw == "" {
		return "", fmt.Errorf("%w: %s: input \"phone\" is required", sdk.ErrBadRequest, req.Action)
	}
	e164, err := sdkphone.Normalize(raw, region)
	if err != nil {
		return "", fmt.Errorf("%w: %s: input \"phone\" %q: %v", sdk.ErrBadRequest, req.Action, raw, err)
	}
	return e164, nil
}

// truncate cuts s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	const mark = "\n[truncated]"
	r := []rune(s)
	return string(r[:n-utf8.RuneCountInString(mark)]) + mark
}

// memo remembers action outputs by idempotency key, for actions whose API
// has no idempotency of its own. It holds at most max keys (oldest
// forgotten first) and lives only as long as the plugin process.
type memo struct {
	mu    sync.Mutex
	max   int
	order []string
	m     map[string]map[string]any
}

func newMemo(max int) *memo { return &memo{max: max, m: map[string]map[string]any{}} }

func (m *memo) get(key string) (map[string]any, bool) {
	if key == "" {
		return nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	return v, ok
}

func (m *memo) put(key string, v map[string]any) {
	if key == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[key]; !ok {
		m.order = append(m.order, key)
	}
	m.m[key] = v
	for len(m.order) > m.max {
		delete(m.m, m.order[0])
		m.order = m.order[1:]
	}
}
