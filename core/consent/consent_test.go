package consent

import (
	"testing"
	"time"

	"github.com/parley-hub/parley/core/config"
)

func TestDerive(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	rec := func(id int64, purpose, status string, at time.Time) Record {
		return Record{ID: id, Channel: ChannelWhatsApp, Purpose: purpose, Status: status, EffectiveAt: at}
	}
	later := t0.Add(48 * time.Hour)
	expired := rec(5, Utility, OptIn, t0)
	expired.ExpiresAt = &later
	tests := []struct {
		name string
		recs []Record
		now  time.Time
		want map[string]string
	}{
		{"nothing recorded", nil, t0, map[string]string{Marketing: None, Utility: None}},
		{"the latest effective record wins", []Record{rec(1, Marketing, OptIn, t0), rec(2, Marketing, OptOut, t0.Add(time.Hour))}, t0.Add(2 * time.Hour), map[string]string{Marketing: OptOut}},
		{"an import of an older choice does not override a newer one", []Record{rec(1, Marketing, OptOut, t0.Add(time.Hour)), rec(2, Marketing, OptIn, t0)}, t0.Add(2 * time.Hour), map[string]string{Marketing: OptOut}},
		{"within one second the opt-out wins (whole-second webhook times)", []Record{rec(1, Marketing, OptOut, t0), rec(2, Marketing, OptIn, t0.Add(470*time.Millisecond))}, t0.Add(time.Second), map[string]string{Marketing: OptOut}},
		{"a record effective later is not in force yet", []Record{rec(1, Marketing, OptIn, t0), rec(2, Marketing, OptOut, t0.Add(time.Hour))}, t0.Add(time.Minute), map[string]string{Marketing: OptIn}},
		{"an expired record is not in force", []Record{expired}, t0.Add(72 * time.Hour), map[string]string{Utility: None}},
		{"purposes are separate", []Record{rec(1, Marketing, OptOut, t0), rec(2, Utility, OptIn, t0)}, t0, map[string]string{Marketing: OptOut, Utility: OptIn}},
		{"other channels do not count", []Record{{ID: 1, Channel: "sms", Purpose: Marketing, Status: OptIn, EffectiveAt: t0}}, t0, map[string]string{Marketing: None}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := Derive(tt.recs, tt.now)
			for p, want := range tt.want {
				if got := st.Of(p).Status; got != want {
					t.Errorf("%s = %s; want %s", p, got, want)
				}
			}
		})
	}
}

func TestKeywords(t *testing.T) {
	t.Parallel()
	k := NewKeywords(nil)
	tests := []struct {
		text, locale string
		kind, set    string
		ok           bool
	}{
		{"STOP", "", Stop, "en", true},
		{"  stop!  ", "en_US", Stop, "en", true},
		{"Parar.", "pt_BR", Stop, "pt", true},
		{"baja", "", Stop, "es", true},
		{"start", "", Start, "en", true},
		{"please stop sending", "", "", "", false},
		{"stop it", "", "", "", false},
		{"", "", "", "", false},
	}
	for _, tt := range tests {
		m, ok := k.Match(tt.text, tt.locale)
		if ok != tt.ok || ok && (m.Kind != tt.kind || m.Locale != tt.set || m.Reply == "") {
			t.Errorf("Match(%q, %q) = %+v, %v; want %s from %s", tt.text, tt.locale, m, ok, tt.kind, tt.set)
		}
	}
	// A word in two sets is taken from the contact's language.
	k = NewKeywords([]config.ConsentWords{{Locale: "en", Stop: []string{"STOP"}, StopReply: "en"}, {Locale: "pt", Stop: []string{"STOP"}, StopReply: "pt"}})
	if m, _ := k.Match("stop", "pt_BR"); m.Reply != "pt" {
		t.Errorf("STOP from a pt_BR contact replied %q; want the pt reply", m.Reply)
	}
}

func TestRecordValidate(t *testing.T) {
	t.Parallel()
	ok := Record{ContactID: "con_1", Channel: ChannelWhatsApp, Purpose: Marketing, Status: OptIn, LawfulBasis: BasisConsent, Source: SourceAPI, Actor: "api"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := ok
	bad.Purpose = "spam"
	if err := bad.Validate(); err == nil {
		t.Error("purpose spam accepted")
	}
	bad = ok
	bad.Evidence = []byte("{")
	if err := bad.Validate(); err == nil {
		t.Error("malformed evidence accepted")
	}
}
