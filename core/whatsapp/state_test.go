package whatsapp

import (
	"fmt"
	"testing"
)

// TestAdvanceExhaustive checks every (current, next) pair, including the
// empty and an invalid state on both sides. Each row is a current state;
// each column the result for next = "", accepted, sent, delivered, read,
// failed, bogus. A result equal to the current state means "no change".
func TestAdvanceExhaustive(t *testing.T) {
	t.Parallel()
	const (
		none = MessageState("")
		acc  = StateAccepted
		sent = StateSent
		dlv  = StateDelivered
		read = StateRead
		fail = StateFailed
		bad  = MessageState("bogus")
	)
	nexts := []MessageState{none, acc, sent, dlv, read, fail, bad}
	table := map[MessageState][7]MessageState{
		//        ""    accepted sent  delivered read  failed bogus
		none: {none, acc, sent, dlv, read, fail, none},
		acc:  {acc, acc, sent, dlv, read, fail, acc},
		sent: {sent, sent, sent, dlv, read, fail, sent},
		dlv:  {dlv, dlv, dlv, dlv, read, dlv, dlv},       // late sent/accepted ignored; failed does not regress
		read: {read, read, read, read, read, read, read}, // read is the top
		fail: {fail, fail, fail, dlv, read, fail, fail},  // device evidence outranks a failure report
		bad:  {bad, acc, sent, dlv, read, fail, bad},     // an unknown current state is replaced by any valid one
	}
	for cur, row := range table {
		for i, next := range nexts {
			want := row[i]
			t.Run(fmt.Sprintf("%q+%q", cur, next), func(t *testing.T) {
				t.Parallel()
				got, changed := Advance(cur, next)
				if got != want {
					t.Errorf("Advance(%q, %q) = %q, want %q", cur, next, got, want)
				}
				if changed != (want != cur) {
					t.Errorf("Advance(%q, %q) changed = %v, want %v", cur, next, changed, want != cur)
				}
			})
		}
	}
}

// TestAdvanceSequences replays realistic webhook orders.
func TestAdvanceSequences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		statuses []string
		want     MessageState
	}{
		{"in order", []string{"accepted", "sent", "delivered", "read"}, StateRead},
		{"read without delivered", []string{"accepted", "sent", "read"}, StateRead},
		{"delivered after read", []string{"accepted", "read", "sent", "delivered"}, StateRead},
		{"duplicates", []string{"accepted", "sent", "sent", "delivered", "delivered"}, StateDelivered},
		{"async failure after 200", []string{"accepted", "failed"}, StateFailed},
		{"failure after sent", []string{"accepted", "sent", "failed"}, StateFailed},
		{"late sent after failure", []string{"accepted", "failed", "sent"}, StateFailed},
		{"failure after delivered", []string{"accepted", "sent", "delivered", "failed"}, StateDelivered},
		{"voice note played", []string{"accepted", "sent", "delivered", "played"}, StateRead},
		{"paced template", []string{"held_for_quality_assessment", "sent"}, StateSent},
		{"unknown status ignored", []string{"accepted", "deleted"}, StateAccepted},
	}
	for _, c := range cases {
		state := MessageState("")
		for _, s := range c.statuses {
			next, _ := StateFromStatus(s)
			state, _ = Advance(state, next)
		}
		if state != c.want {
			t.Errorf("%s: %v → %q, want %q", c.name, c.statuses, state, c.want)
		}
	}
}

func TestStateFromStatus(t *testing.T) {
	t.Parallel()
	cases := map[string]MessageState{
		"sent": StateSent, "delivered": StateDelivered, "read": StateRead, "played": StateRead, "failed": StateFailed,
		"accepted": StateAccepted, "held_for_quality_assessment": StateAccepted, "paused": StateAccepted,
		"deleted": "", "": "", "READ": "", "warning": "",
	}
	for in, want := range cases {
		got, ok := StateFromStatus(in)
		if got != want || ok != (want != "") {
			t.Errorf("StateFromStatus(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, s := range []MessageState{StateAccepted, StateSent, StateDelivered, StateRead, StateFailed} {
		if !s.Valid() {
			t.Errorf("%q not valid", s)
		}
	}
	if MessageState("").Valid() || MessageState("played").Valid() {
		t.Error("invalid states reported valid")
	}
}
