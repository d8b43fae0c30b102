package shopify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/golden"
)

// checkoutAt is the checkouts_create sample with another token and
// updated_at, as JSON.
func checkoutAt(t *testing.T, token string, updated time.Time, completed bool, phone string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(golden.Read(t, "checkouts_create.json"), &m); err != nil {
		t.Fatal(err)
	}
	m["token"] = token
	m["updated_at"] = updated.Format(time.RFC3339)
	if completed {
		m["completed_at"] = updated.Format(time.RFC3339)
	}
	if phone != "keep" {
		m["shipping_address"].(map[string]any)["phone"] = phone
	}
	b, _ := json.Marshal(m)
	return b
}

// TestAbandonedCart walks the cart timer through scenarios: each step is a
// webhook or a poll at a time, and what the poll must return.
func TestAbandonedCart(t *testing.T) {
	t.Parallel()
	t0 := testNow
	type step struct {
		at       time.Duration // since t0
		topic    string        // "" = poll
		body     func(t *testing.T) []byte
		wantAbnd []string // checkout tokens reported by the poll
		wantSkip string   // substring of a webhook skip reason
	}
	co := func(token string, updated time.Duration, completed bool) func(*testing.T) []byte {
		return func(t *testing.T) []byte { return checkoutAt(t, token, t0.Add(updated), completed, "keep") }
	}
	cases := []struct {
		name  string
		cfg   sdk.Config
		steps []step
	}{
		{"abandoned after the delay", nil, []step{
			{at: 0, topic: "checkouts/create", body: co("A", 0, false)},
			{at: 59 * time.Minute},
			{at: 60 * time.Minute, wantAbnd: []string{"A"}},
			{at: 3 * time.Hour},
		}},
		{"completed checkout is not abandoned", nil, []step{
			{at: 0, topic: "checkouts/create", body: co("A", 0, false)},
			{at: 10 * time.Minute, topic: "checkouts/update", body: co("A", 10*time.Minute, true)},
			{at: 2 * time.Hour},
		}},
		{"order for the checkout cancels", nil, []step{
			{at: 0, topic: "checkouts/create", body: co("ck-3f2e1d0c9b8a", 0, false)},
			{at: time.Minute, topic: "orders/create", body: func(t *testing.T) []byte { return golden.Read(t, "orders_create.json") }},
			{at: 2 * time.Hour},
		}},
		{"deleted checkout is not abandoned", nil, []step{
			{at: 0, topic: "checkouts/create", body: co("A", 0, false)},
			{at: time.Minute, topic: "checkouts/delete", body: co("A", time.Minute, false), wantSkip: "deleted"},
			{at: 2 * time.Hour},
		}},
		{"activity restarts the wait", nil, []step{
			{at: 0, topic: "checkouts/create", body: co("A", 0, false)},
			{at: 50 * time.Minute, topic: "checkouts/update", body: co("A", 50*time.Minute, false)},
			{at: 70 * time.Minute},
			{at: 110 * time.Minute, wantAbnd: []string{"A"}},
		}},
		{"stale retry after completion is ignored", nil, []step{
			{at: 0, topic: "checkouts/update", body: co("A", 10*time.Minute, true)},
			{at: time.Minute, topic: "checkouts/update", body: co("A", 5*time.Minute, false)},
			{at: 2 * time.Hour},
		}},
		{"older update does not move the wait back", nil, []step{
			{at: 0, topic: "checkouts/update", body: co("A", 30*time.Minute, false)},
			{at: time.Minute, topic: "checkouts/update", body: co("A", 0, false)},
			{at: 61 * time.Minute},
			{at: 90 * time.Minute, wantAbnd: []string{"A"}},
		}},
		{"reported once", nil, []step{
			{at: 0, topic: "checkouts/create", body: co("A", 0, false)},
			{at: 61 * time.Minute, wantAbnd: []string{"A"}},
			{at: 62 * time.Minute, topic: "checkouts/update", body: co("A", 0, false)},
			{at: 3 * time.Hour},
		}},
		{"oldest first, configurable delay", sdk.Config{keyAbandonedAfter: "15m"}, []step{
			{at: 0, topic: "checkouts/create", body: co("B", 5*time.Minute, false)},
			{at: 0, topic: "checkouts/create", body: co("A", 0, false)},
			{at: 20 * time.Minute, wantAbnd: []string{"A", "B"}},
		}},
		{"no phone, not tracked", nil, []step{
			{at: 0, topic: "checkouts/create", body: func(t *testing.T) []byte { return checkoutAt(t, "A", t0, false, "") }, wantSkip: "no phone number"},
			{at: 2 * time.Hour},
		}},
		{"unparseable phone, not tracked", nil, []step{
			{at: 0, topic: "checkouts/create", body: func(t *testing.T) []byte { return checkoutAt(t, "A", t0, false, "555-555-SHIP") }, wantSkip: "contains letters"},
			{at: 2 * time.Hour},
		}},
		{"full", sdk.Config{keyMaxPending: "1"}, []step{
			{at: 0, topic: "checkouts/create", body: co("A", 0, false)},
			{at: 0, topic: "checkouts/create", body: co("B", 0, false), wantSkip: "not tracked for abandonment"},
			{at: 2 * time.Hour, wantAbnd: []string{"A"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			for k, v := range tc.cfg {
				cfg[k] = v
			}
			c, now := newTestConnector(t, cfg)
			cursor := ""
			for i, s := range tc.steps {
				*now = t0.Add(s.at)
				if s.topic != "" {
					req := signedDelivery(s.topic, fmt.Sprint(i), s.body(t), testSecret)
					req.ReceivedAt = *now
					res, err := c.HandleWebhook(t.Context(), req)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					var reasons []string
					for _, sk := range res.Skipped {
						reasons = append(reasons, sk.Reason)
					}
					if got := strings.Join(reasons, "; "); s.wantSkip == "" && got != "" || !strings.Contains(got, s.wantSkip) {
						t.Errorf("step %d: skips %q, want one containing %q", i, got, s.wantSkip)
					}
					continue
				}
				res, err := c.Poll(t.Context(), cursor)
				if err != nil {
					t.Fatalf("step %d: Poll: %v", i, err)
				}
				var got []string
				for _, ev := range res.Events {
					if ev.Type != TypeCartAbandoned {
						t.Errorf("step %d: event type %q", i, ev.Type)
					}
					got = append(got, ev.Data["checkout_token"].(string))
				}
				if diff := cmp.Diff(s.wantAbnd, got); diff != "" {
					t.Errorf("step %d (poll at +%s): abandoned checkouts (-want +got):\n%s", i, s.at, diff)
				}
				if len(res.Events) > 0 && res.Cursor == cursor {
					t.Errorf("step %d: cursor did not move", i)
				}
				if res.Wait < time.Second || res.Wait > time.Minute {
					t.Errorf("step %d: Wait = %s", i, res.Wait)
				}
				cursor = res.Cursor
			}
		})
	}
}

// TestAbandonedEvent checks the cart.abandoned event in full.
func TestAbandonedEvent(t *testing.T) {
	t.Parallel()
	c, now := newTestConnector(t, testConfig())
	req := signedDelivery("checkouts/create", "1", golden.Read(t, "checkouts_create.json"), testSecret)
	if _, err := c.HandleWebhook(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(24 * time.Hour)
	res, err := c.Poll(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, "cart_abandoned", res.Events)
}
