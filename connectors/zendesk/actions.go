package zendesk

import (
	sdkphone "github.com/parley-hub/parley/sdk/phone"

	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/parley-hub/parley/sdk"
)

// Actions.
const (
	ActionCreateTicket = "create_ticket"
	ActionAddComment   = "add_comment"
)

var actionSpecs = []sdk.ActionSpec{
	{
		Name: ActionCreateTicket,
		Description: "Create a ticket from a WhatsApp conversation. The requester is the Zendesk user with external_id \"whatsapp:<E.164 phone>\", " +
			"created or updated (phone, and name when given) first, so later ticket events carry the phone. Idempotent: the ticket's " +
			"external_id is external_id or \"parley:<idempotency key>\", an existing ticket with it is returned instead of a new one, " +
			"and the key is also sent as Zendesk's Idempotency-Key. Output: ticket_id, status, external_id, agent_url, created (bool).",
		Input: []sdk.Field{
			{Name: "subject", Description: "The ticket subject.", Example: "WhatsApp from +5511987654321", Required: true},
			{Name: "comment", Description: "The first comment: the conversation transcript.", Example: "Customer: My order arrived damaged.", Required: true},
			{Name: "requester_phone", Description: "The customer's phone; E.164, or national in default_region.", Example: "+5511987654321", Required: true},
			{Name: "requester_name", Description: "The customer's name, set on the requester; a new requester without one is named after the phone.", Example: "Ana Souza"},
			{Name: "tags", Description: "Tags, comma-separated or a list, added to default_tags.", Example: "order_issue,vip"},
			{Name: "priority", Description: "low, normal, high or urgent; default the account's.", Example: "normal"},
			{Name: "public", Description: "Whether the first comment is public (true) or an internal note (false).", Default: "true", Example: "true"},
			{Name: "external_id", Description: "The ticket's external_id; default \"parley:<idempotency key>\".", Example: "wa:wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQTdF"},
		},
	},
	{
		Name: ActionAddComment,
		Description: "Add a comment to a ticket: an internal note by default, or a public reply. Zendesk has no idempotency key for " +
			"updates: a retry with the same idempotency key returns the first result while this plugin process lives. " +
			"Output: ticket_id, status, public.",
		Input: []sdk.Field{
			{Name: "ticket_id", Description: "The ticket id.", Example: "5158", Required: true},
			{Name: "body", Description: "The comment text.", Example: "Customer replied on WhatsApp: thanks!", Required: true},
			{Name: "public", Description: "Whether the comment is public (true) or an internal note (false).", Default: "false", Example: "false"},
			{Name: "author_id", Description: "The Zendesk user id to write as; default the API token's agent.", Example: "8447388090494"},
		},
	},
}

var priorities = []string{"low", "normal", "high", "urgent"}

// Do runs an action. Bad or missing inputs, and Zendesk refusing the
// request (400, 404, 422), are sdk.ErrBadRequest; 409, 429 and 5xx answers
// are sdk.RetryableError.
func (c *Connector) Do(ctx context.Context, req sdk.ActionRequest) (sdk.ActionResult, error) {
	st, err := c.state()
	if err != nil {
		return sdk.ActionResult{}, err
	}
	in := inputs{req: req}
	var out map[string]any
	switch req.Action {
	case ActionCreateTicket:
		out, err = c.createTicket(ctx, st, in)
	case ActionAddComment:
		out, err = c.addComment(ctx, st, in)
	default:
		return sdk.ActionResult{}, fmt.Errorf("%w: unknown action %q", sdk.ErrBadRequest, req.Action)
	}
	if err != nil {
		if statusIs(err, http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity) {
			return sdk.ActionResult{}, fmt.Errorf("%w: %s: %v", sdk.ErrBadRequest, req.Action, err)
		}
		return sdk.ActionResult{}, fmt.Errorf("%s: %w", req.Action, err)
	}
	return sdk.ActionResult{Output: out}, nil
}

func (c *Connector) createTicket(ctx context.Context, st *state, in inputs) (map[string]any, error) {
	subject := in.str("subject")
	body := in.str("comment")
	rawPhone := in.str("requester_phone")
	name := in.str("requester_name")
	priority := strings.ToLower(in.str("priority"))
	public := in.boolean("public", true)
	tags := slices.Clone(st.cfg.defaultTags)
	for _, t := range in.list("tags") {
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	in.require("subject", subject)
	in.require("comment", body)
	in.require("requester_phone", rawPhone)
	if priority != "" && !slices.Contains(priorities, priority) {
		in.fail("input \"priority\" %q is not one of %s", priority, strings.Join(priorities, ", "))
	}
	phone := ""
	if rawPhone != "" {
		var err error
		if phone, err = sdkphone.Normalize(rawPhone, st.cfg.defaultRegion); err != nil {
			in.fail("input \"requester_phone\" %q: %v", rawPhone, err)
		}
	}
	externalID := in.str("external_id")
	if externalID == "" && in.req.IdempotencyKey != "" {
		externalID = "parley:" + in.req.IdempotencyKey
	}
	if err := in.err(); err != nil {
		return nil, err
	}

	if externalID != "" {
		existing, err := st.api.ticketByExternalID(ctx, externalID)
		if err != nil {
			return nil, fmt.Errorf("find ticket by external_id: %w", err)
		}
		if existing != nil {
			return c.ticketOutput(st, existing, externalID, false), nil
		}
	}
	u, err := st.api.upsertUser(ctx, name, phone, "whatsapp:"+phone)
	if name == "" && statusIs(err, http.StatusUnprocessableEntity) {
		// A new user needs a name.
		u, err = st.api.upsertUser(ctx, phone, phone, "whatsapp:"+phone)
	}
	if err != nil {
		return nil, fmt.Errorf("find or create the requester: %w", err)
	}
	nt := newTicket{
		Subject:     subject,
		Comment:     ticketComment{Body: body, Public: public},
		RequesterID: u.ID,
		ExternalID:  externalID,
		Tags:        tags,
		Priority:    priority,
	}
	t, replayed, err := st.api.createTicket(ctx, nt, in.req.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return c.ticketOutput(st, t, externalID, !replayed), nil
}

func (c *Connector) ticketOutput(st *state, t *ticket, externalID string, created bool) map[string]any {
	return map[string]any{
		"ticket_id":   t.ID.String(),
		"status":      t.Status,
		"external_id": firstNonEmpty(t.ExternalID, externalID),
		"agent_url":   st.cfg.apiBase + "/agent/tickets/" + t.ID.String(),
		"created":     created,
	}
}

func (c *Connector) addComment(ctx context.Context, st *state, in inputs) (map[string]any, error) {
	if out, ok := c.comments.get(in.req.IdempotencyKey); ok {
		return out, nil
	}
	id := in.str("ticket_id")
	body := in.str("body")
	in.require("ticket_id", id)
	in.require("body", body)
	if _, err := strconv.ParseUint(id, 10, 64); id != "" && err != nil {
		in.fail("input \"ticket_id\" %q is not a ticket number", id)
	}
	cm := ticketComment{Body: body, Public: in.boolean("public", false)}
	if a := in.str("author_id"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			in.fail("input \"author_id\" %q is not a user id", a)
		}
		cm.AuthorID = &n
	}
	if err := in.err(); err != nil {
		return nil, err
	}
	t, err := st.api.addComment(ctx, id, cm)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"ticket_id": firstNonEmpty(t.ID.String(), id), "status": t.Status, "public": cm.Public}
	c.comments.put(in.req.IdempotencyKey, out)
	return out, nil
}

// inputs reads an action's inputs, collecting every problem.
type inputs struct {
	req  sdk.ActionRequest
	errs []string
}

func (in *inputs) fail(format string, args ...any) {
	in.errs = append(in.errs, fmt.Sprintf(format, args...))
}

func (in *inputs) require(name, v string) {
	if v == "" {
		in.fail("input %q is required", name)
	}
}

func (in *inputs) err() error {
	if len(in.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s: %s", sdk.ErrBadRequest, in.req.Action, strings.Join(in.errs, "; "))
}

// str reads a text input; numbers (json.Number) are taken as their text.
func (in *inputs) str(name string) string {
	switch v := in.req.Input[name].(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case float64, int, int64:
		return fmt.Sprint(v)
	default:
		in.fail("input %q must be text, got %T", name, v)
		return ""
	}
}

// boolean reads a bool input, also given as "true"/"false".
func (in *inputs) boolean(name string, def bool) bool {
	switch v := in.req.Input[name].(type) {
	case nil:
		return def
	case bool:
		return v
	case string:
		if strings.TrimSpace(v) == "" {
			return def
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			in.fail("input %q %q is not true or false", name, v)
		}
		return b
	default:
		in.fail("input %q must be true or false, got %T", name, v)
		return def
	}
}

// list reads a list input given as a list of strings or comma-separated text.
func (in *inputs) list(name string) []string {
	switch v := in.req.Input[name].(type) {
	case nil:
		return nil
	case string:
		return splitTags(v)
	case []any:
		var parts []string
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				in.fail("input %q must hold text, got %T", name, x)
				return nil
			}
			parts = append(parts, s)
		}
		return splitTags(strings.Join(parts, ","))
	case []string:
		return splitTags(strings.Join(v, ","))
	default:
		in.fail("input %q must be a list or comma-separated text, got %T", name, v)
		return nil
	}
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
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
