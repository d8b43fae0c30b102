package zendesk

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/action"
	"github.com/parley-hub/parley/sdk/eventdata"
	sdkphone "github.com/parley-hub/parley/sdk/phone"
	"github.com/parley-hub/parley/sdk/rest"
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
	in := action.Read(req)
	var out map[string]any
	switch req.Action {
	case ActionCreateTicket:
		out, err = c.createTicket(ctx, st, in)
	case ActionAddComment:
		out, err = c.comments.Do(req.IdempotencyKey, func() (map[string]any, error) { return c.addComment(ctx, st, in) })
	default:
		return sdk.ActionResult{}, fmt.Errorf("%w: unknown action %q", sdk.ErrBadRequest, req.Action)
	}
	if err != nil {
		if rest.StatusIs(err, http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity) {
			return sdk.ActionResult{}, fmt.Errorf("%w: %s: %v", sdk.ErrBadRequest, req.Action, err)
		}
		return sdk.ActionResult{}, fmt.Errorf("%s: %w", req.Action, err)
	}
	return sdk.ActionResult{Output: out}, nil
}

func (c *Connector) createTicket(ctx context.Context, st *state, in *action.Inputs) (map[string]any, error) {
	subject := in.String("subject")
	body := in.String("comment")
	rawPhone := in.String("requester_phone")
	name := in.String("requester_name")
	priority := strings.ToLower(in.String("priority"))
	public := in.Bool("public", true)
	tags := slices.Clone(st.cfg.defaultTags)
	for _, t := range normalizeTags(in.List("tags")) {
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	in.Require("subject", subject)
	in.Require("comment", body)
	in.Require("requester_phone", rawPhone)
	if priority != "" && !slices.Contains(priorities, priority) {
		in.Fail("input \"priority\" %q is not one of %s", priority, strings.Join(priorities, ", "))
	}
	phone := ""
	if rawPhone != "" {
		var err error
		if phone, err = sdkphone.Normalize(rawPhone, st.cfg.defaultRegion); err != nil {
			in.Fail("input \"requester_phone\" %q: %v", rawPhone, err)
		}
	}
	externalID := in.String("external_id")
	if externalID == "" && in.Request().IdempotencyKey != "" {
		externalID = "parley:" + in.Request().IdempotencyKey
	}
	if err := in.Err(); err != nil {
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
	if name == "" && rest.StatusIs(err, http.StatusUnprocessableEntity) {
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
	t, replayed, err := st.api.createTicket(ctx, nt, in.Request().IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return c.ticketOutput(st, t, externalID, !replayed), nil
}

func (c *Connector) ticketOutput(st *state, t *ticket, externalID string, created bool) map[string]any {
	return map[string]any{
		"ticket_id":   t.ID.String(),
		"status":      t.Status,
		"external_id": eventdata.First(t.ExternalID, externalID),
		"agent_url":   st.cfg.apiBase + "/agent/tickets/" + t.ID.String(),
		"created":     created,
	}
}

func (c *Connector) addComment(ctx context.Context, st *state, in *action.Inputs) (map[string]any, error) {
	id := in.String("ticket_id")
	body := in.String("body")
	in.Require("ticket_id", id)
	in.Require("body", body)
	if _, err := strconv.ParseUint(id, 10, 64); id != "" && err != nil {
		in.Fail("input \"ticket_id\" %q is not a ticket number", id)
	}
	cm := ticketComment{Body: body, Public: in.Bool("public", false)}
	if a := in.String("author_id"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			in.Fail("input \"author_id\" %q is not a user id", a)
		}
		cm.AuthorID = &n
	}
	if err := in.Err(); err != nil {
		return nil, err
	}
	t, err := st.api.addComment(ctx, id, cm)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ticket_id": eventdata.First(t.ID.String(), id), "status": t.Status, "public": cm.Public}, nil
}
