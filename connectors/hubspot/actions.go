package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/action"
	"github.com/parley-hub/parley/sdk/eventdata"
	sdkphone "github.com/parley-hub/parley/sdk/phone"
	"github.com/parley-hub/parley/sdk/rest"
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
	in := action.Read(req)
	var out map[string]any
	switch req.Action {
	case ActionLookupContact:
		out, err = c.lookupContact(ctx, st, in)
	case ActionAddNote:
		out, err = c.notes.Do(req.IdempotencyKey, func() (map[string]any, error) { return c.addNote(ctx, st, in) })
	default:
		return sdk.ActionResult{}, fmt.Errorf("%w: unknown action %q", sdk.ErrBadRequest, req.Action)
	}
	if err != nil {
		return sdk.ActionResult{}, err
	}
	return sdk.ActionResult{Output: out}, nil
}

func (c *Connector) lookupContact(ctx context.Context, st *state, in *action.Inputs) (map[string]any, error) {
	phone := inputPhone(in, st.cfg.defaultRegion)
	if err := in.Err(); err != nil {
		return nil, err
	}
	results, total, err := st.api.searchByPhone(ctx, sdkphone.Renderings(phone))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ActionLookupContact, err)
	}
	if len(results) == 0 {
		return map[string]any{"found": false, "total": 0}, nil
	}
	p := results[0].Properties
	return map[string]any{
		"found":       true,
		"total":       total,
		"contact_id":  results[0].ID,
		"name":        eventdata.FullName(p["firstname"], p["lastname"]),
		"firstname":   p["firstname"],
		"lastname":    p["lastname"],
		"email":       p["email"],
		"phone":       p["phone"],
		"mobilephone": p["mobilephone"],
		"locale":      p["hs_language"],
	}, nil
}

func (c *Connector) addNote(ctx context.Context, st *state, in *action.Inputs) (map[string]any, error) {
	body := in.String("body")
	in.Require("body", body)
	at := c.now()
	if ts := in.String("timestamp"); ts != "" {
		var err error
		if at, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			in.Fail("input \"timestamp\" %q is not RFC 3339", ts)
		}
	}
	contactID := in.String("contact_id")
	var phone string
	if contactID == "" {
		if in.String("phone") == "" {
			in.Fail("give contact_id or phone")
		} else {
			phone = inputPhone(in, st.cfg.defaultRegion)
		}
	}
	if err := in.Err(); err != nil {
		return nil, err
	}
	if contactID == "" {
		results, _, err := st.api.searchByPhone(ctx, sdkphone.Renderings(phone))
		if err != nil {
			return nil, fmt.Errorf("%s: find contact: %w", ActionAddNote, err)
		}
		if len(results) == 0 {
			return nil, fmt.Errorf("%w: %s: no HubSpot contact has phone %s", sdk.ErrBadRequest, ActionAddNote, phone)
		}
		contactID = results[0].ID
	}
	id, err := st.api.createNote(ctx, contactID, truncate(body, maxNoteBody), at)
	if err != nil {
		if rest.StatusIs(err, http.StatusNotFound) {
			return nil, fmt.Errorf("%w: %s: %v", sdk.ErrBadRequest, ActionAddNote, err)
		}
		return nil, fmt.Errorf("%s: %w", ActionAddNote, err)
	}
	return map[string]any{"note_id": id, "contact_id": contactID}, nil
}

// inputPhone reads the required input "phone" as E.164, reading a national
// number in region.
func inputPhone(in *action.Inputs, region string) string {
	raw := in.String("phone")
	if in.Require("phone", raw); raw == "" {
		return ""
	}
	e164, err := sdkphone.Normalize(raw, region)
	if err != nil {
		in.Fail("input \"phone\" %q: %v", raw, err)
	}
	return e164
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
