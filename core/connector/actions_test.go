package connector_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/connectors/zendesk/zendesktest"
	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/connector"
	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/ingest"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/plugins"
)

// TestActions runs zendesk.create_ticket through the actions stage's
// handler against the fake Zendesk: a retryable failure is returned for
// the pipeline to retry (honouring Retry-After), a success is recorded
// once, a refusal fails the action for good.
func TestActions(t *testing.T) {
	t.Parallel()
	needBinaries(t)
	ctx := context.Background()
	db := openStore(t)
	zd := zendesktest.New(t, zendeskEmail, zendeskToken)
	events := ingest.New(db, "events")
	flow := config.Flow{Name: "escalate", Action: config.FlowAction{Name: "zendesk.create_ticket", Input: config.Values{
		"subject": "Help {{contact.name}}", "comment": "{{transcript}}(none)", "requester_phone": "{{contact.phone}}", "requester_name": "{{contact.name}}"}}}
	c := startConnectors(t, db, connector.Config{Events: events, Flows: []config.Flow{flow}, Plugins: []plugins.Config{{
		Name: "zendesk", Path: bins["zendesk"].path, SHA256: bins["zendesk"].sum, HealthInterval: time.Hour,
		Config: map[string]string{"signing_secret": "s", "subdomain": "acme", "email": zendeskEmail, "api_token": zendeskToken, "api_base_url": zd.URL}}}})

	// enqueue stores an event and the flow's action for it, as the flows
	// stage does, and returns the action's id from the actions topic.
	enqueue := func(id, phone string, f config.Flow) string {
		d, err := events.Decode([]byte(`{"type":"conversation.escalated","source":"whatsapp","id":"`+id+`","contact":{"phone":"`+phone+`","name":"Ana"}}`), "")
		if err != nil {
			t.Fatal(err)
		}
		var actionID string
		err = db.Write(ctx, func(tx *store.Tx) error {
			res, err := events.StoreTx(ctx, tx, d)
			if err != nil {
				return err
			}
			evID := strings.Split(string(res.Body), `"`)[3] // the body is {"event_id":"evt_...",...}
			// A redelivered event enqueues nothing new.
			for range 2 {
				if err := c.EnqueueActionTx(ctx, tx, f, evID); err != nil {
					return err
				}
			}
			return tx.QueryRow(ctx, `SELECT id FROM connector_actions WHERE event_id = ?`, evID).Scan(&actionID)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT count(*) FROM pubsub_messages WHERE topic = 'actions' AND payload = ?`, []byte(actionID)); n != 1 {
			t.Fatalf("action %s published %d times; want 1", actionID, n)
		}
		return actionID
	}
	state := func(id string) (st string, attempts int, errText string) {
		var e *string
		if err := db.Reader().QueryRow(`SELECT state, attempts, error FROM connector_actions WHERE id = ?`, id).Scan(&st, &attempts, &e); err != nil {
			t.Fatal(err)
		}
		if e != nil {
			errText = *e
		}
		return
	}

	id := enqueue("wamid.1", "+16505550123", flow)
	zd.Fail(zendesktest.Fault{Method: "POST", Path: "/api/v2/tickets", Status: 503, RetryAfter: "1"})
	start := time.Now()
	err := c.HandleAction(message.NewMessage("m1", []byte(id)))
	if err == nil || deadletter.IsPermanent(err) {
		t.Fatalf("first attempt (503): %v; want a retryable error", err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("Retry-After: 1 was not honoured (returned after %v)", waited)
	}
	if st, n, _ := state(id); st != "pending" || n != 1 {
		t.Errorf("after a retryable failure: %s, %d attempts", st, n)
	}
	if err := c.HandleAction(message.NewMessage("m2", []byte(id))); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if err := c.HandleAction(message.NewMessage("m3", []byte(id))); err != nil { // a redelivery does nothing
		t.Fatalf("redelivery: %v", err)
	}
	if st, n, _ := state(id); st != "done" || n != 2 {
		t.Errorf("after success: %s, %d attempts; want done, 2", st, n)
	}
	if tickets := zd.Tickets(); len(tickets) != 1 {
		t.Errorf("%d tickets at the fake; want 1", len(tickets))
	}
	evActions, err := c.Actions(ctx, "")
	if err != nil || len(evActions) != 0 {
		t.Errorf("Actions(unknown event) = %v, %v", evActions, err)
	}

	// A phone Zendesk cannot take: refused for good, with the reason.
	bad := enqueue("wamid.2", "12345", flow)
	err = c.HandleAction(message.NewMessage("m4", []byte(bad)))
	if !deadletter.IsPermanent(err) {
		t.Fatalf("bad input: %v; want a permanent error", err)
	}
	if st, _, reason := state(bad); st != "failed" || !strings.Contains(reason, "requester_phone") {
		t.Errorf("after a refusal: %s (%s); want failed naming requester_phone", st, reason)
	}

	// An action of a connector that is not running.
	gone := config.Flow{Name: "gone", Action: config.FlowAction{Name: "freshdesk.create_ticket"}}
	if err := c.HandleAction(message.NewMessage("m5", []byte(enqueue("wamid.3", "+16505550124", gone)))); !deadletter.IsPermanent(err) || !strings.Contains(err.Error(), "unknown connector") {
		t.Errorf("unknown connector: %v", err)
	}
}
