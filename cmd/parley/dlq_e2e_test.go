package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/parley-hub/parley/core/api"
	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

// ctl runs "parley dlq ARGS" as its own process against s.
func ctl(t *testing.T, s *sandbox, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"dlq"}, args...)...)
	cmd.Env = append(cleanEnv(), envURL+"="+s.url, envKey+"="+s.key)
	var out, errb lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestDLQReplayEndToEnd: with the emulator answering every send with a
// 5xx and a short retry policy, a message's send is dead-lettered with the
// reason and the message marked failed; once the fault is cleared, parley
// dlq replay sends it, exactly once, and a second replay is refused and
// sends nothing. /metrics shows it all, without an API key.
func TestDLQReplayEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	ctx := context.Background()
	s := startSandbox(t, "PARLEY_PIPELINE__RETRY__MAX_RETRIES=2",
		"PARLEY_PIPELINE__RETRY__INITIAL_INTERVAL=10ms", "PARLEY_PIPELINE__RETRY__MAX_INTERVAL=20ms")
	emu := &emulator.Control{BaseURL: s.emulatorURL}
	if _, err := emu.SetFaults(ctx, emulator.Faults{FaultRate: 1, FaultKinds: []emulator.FaultKind{emulator.FaultServerError}}); err != nil {
		t.Fatal(err)
	}

	r := do(t, "POST", s.url+"/v1/events", s.key, shippedEvent("DLQ-1", "+16505550177"), nil)
	if r.code != http.StatusAccepted {
		t.Fatalf("POST /v1/events = %d %s", r.code, r.body)
	}
	var acc struct {
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(r.body, &acc)
	var msg apiMessage
	eventually(t, 20*time.Second, "the message to fail", func() bool {
		ms := messagesOf(t, s.url, s.key, acc.EventID)
		if len(ms) == 1 {
			msg = ms[0]
		}
		return msg.Status == "failed"
	})

	var letter api.DeadLetter
	eventually(t, 10*time.Second, "the dead letter", func() bool {
		out, errs, code := ctl(t, s, "list", "--topic", "outbox", "--json")
		if code != 0 {
			t.Fatalf("parley dlq list: exit %d: %s", code, errs)
		}
		var page struct {
			Data []api.DeadLetter `json:"data"`
		}
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatalf("parley dlq list --json: %v: %s", err, out)
		}
		for _, l := range page.Data {
			if l.Payload == msg.ID {
				letter = l
				return true
			}
		}
		return false
	})
	if !strings.Contains(letter.Reason, msg.ID) || !strings.Contains(letter.Reason, "(#2)") || !letter.Replayable {
		t.Errorf("dead letter %+v; want the message id and the platform's error (#2) in the reason, replayable", letter)
	}
	if n := emulatorCount(t, s.emulatorURL, "16505550177"); n != 0 {
		t.Fatalf("emulator accepted %d messages while failing every send", n)
	}
	if out, errs, code := ctl(t, s, "list"); code != 0 || !strings.Contains(out, "outbox") {
		t.Errorf("parley dlq list: exit %d\n%s%s", code, out, errs)
	}

	if _, err := emu.SetFaults(ctx, emulator.Faults{}); err != nil {
		t.Fatal(err)
	}
	id := jsonNumber(letter.ID)
	if out, errs, code := ctl(t, s, "replay", id); code != 0 || !strings.Contains(out, "replayed dead letter "+id+" on outbox") {
		t.Fatalf("parley dlq replay %s: exit %d\n%s%s", id, code, out, errs)
	}
	eventually(t, 15*time.Second, "the replayed message to be read", func() bool {
		m := do(t, "GET", s.url+"/v1/messages/"+msg.ID, s.key, nil, nil)
		_ = json.Unmarshal(m.body, &msg)
		return msg.Status == "read"
	})
	if _, errs, code := ctl(t, s, "replay", id); code != 1 || !strings.Contains(errs, "409 Conflict") {
		t.Errorf("second replay: exit %d, %s; want exit 1 with 409 Conflict", code, errs)
	}
	time.Sleep(300 * time.Millisecond) // a second send, if any, would land now
	if n := emulatorCount(t, s.emulatorURL, "16505550177"); n != 1 {
		t.Errorf("emulator got %d messages after two replays; want exactly 1", n)
	}
	out, errs, _ := ctl(t, s, "show", id)
	if !strings.Contains(out, `"replayed_at"`) {
		t.Errorf("parley dlq show %s: %s%s", id, out, errs)
	}

	m := do(t, "GET", s.url+"/metrics", "", nil, nil)
	for _, line := range []string{
		`parley_dead_letters_total{topic="outbox"} 1`,
		`parley_dead_letters_pending{topic="outbox"} 0`,
		`parley_messages_sent_total{outcome="retry"} 3`, // the first attempt and two retries
		`parley_messages_sent_total{outcome="accepted"} 1`,
		`parley_events_received_total{outcome="accepted"} 1`,
		`parley_http_requests_total{code="409",route="POST /v1/dlq/{id}/replay"} 1`,
		`parley_status_updates_total{status="read"} 1`,
		`parley_queue_depth{group="send",state="unclaimed",topic="outbox"} 0`,
	} {
		if !strings.Contains(string(m.body), line+"\n") {
			t.Errorf("/metrics (%d) lacks %s", m.code, line)
		}
	}
	if !strings.Contains(string(m.body), `parley_webhook_receive_duration_seconds_count{receiver="whatsapp"}`) {
		t.Error("/metrics has no webhook latency")
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }
