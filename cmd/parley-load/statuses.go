package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	_ "modernc.org/sqlite" // reads Parley's database, read-only, to see statuses applied

	"github.com/parley-hub/parley/core/whatsapp"
	"github.com/parley-hub/parley/core/whatsapp/emulator"
)

// StatusResult is what the statuses scenario measured.
type StatusResult struct {
	Scenario         string  `json:"scenario"`
	Messages         int     `json:"messages"`
	Statuses         int     `json:"statuses"`
	BatchSize        int     `json:"batch_size"`
	Posts            int     `json:"posts"`
	Seconds          float64 `json:"seconds"`
	AppliedPerSec    float64 `json:"applied_per_sec"`
	PostP50Ms        float64 `json:"post_p50_ms"`
	PostP99Ms        float64 `json:"post_p99_ms"`
	Synchronous      string  `json:"synchronous"`
	WebhookPostError int     `json:"webhook_post_errors"`
}

func (r *StatusResult) summary() string {
	return fmt.Sprintf(`status webhooks (store.synchronous %s)
  %d statuses (sent, delivered, read for %d messages) in %d signed POSTs of up to %d
  applied in %.2fs = %.0f status updates/s; POST (stored, then 200) p50 %.1f ms, p99 %.1f ms, errors %d
`, r.Synchronous, r.Statuses, r.Messages, r.Posts, r.BatchSize, r.Seconds, r.AppliedPerSec, r.PostP50Ms, r.PostP99Ms, r.WebhookPostError)
}

// measureStatuses sends n messages through Parley with the emulator's own
// status webhooks held back, then posts Meta-shaped, signed status
// webhooks for all of them (sent, delivered, read; batch per POST) and
// measures how fast Parley applies them, reading its database.
func measureStatuses(ctx context.Context, o options, n, batch int) (*StatusResult, error) {
	env, err := startEnv(ctx, o, emulator.Config{StatusLatency: time.Hour, ReadAfter: -1, MessageLogSize: 3 * n}) // the log is sharded: room to spare
	if err != nil {
		return nil, err
	}
	defer env.close()

	// Messages: n events, as fast as the clients go, then wait for all sends.
	if err := env.sendEvents(ctx, n, o.concurrency); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(o.drain)
	for {
		if env.emu.Messages(emulator.MessageQuery{}).Count >= n {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("only %d of %d messages reached the emulator", env.emu.Messages(emulator.MessageQuery{}).Count, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	msgs := env.emu.Messages(emulator.MessageQuery{}).Messages

	// Webhook bodies: every message's sent, then delivered, then read.
	var bodies [][]byte
	ts := time.Now().Unix()
	for _, status := range []string{"sent", "delivered", "read"} {
		for i := 0; i < len(msgs); i += batch {
			var sts []whatsapp.Status
			for _, m := range msgs[i:min(i+batch, len(msgs))] {
				sts = append(sts, whatsapp.Status{ID: m.ID, Status: status, Timestamp: strconv.FormatInt(ts, 10), RecipientID: m.WaID})
			}
			value, _ := json.Marshal(whatsapp.MessagesValue{MessagingProduct: "whatsapp",
				Metadata: whatsapp.Metadata{DisplayPhoneNumber: emulator.DefaultDisplayPhoneNumber, PhoneNumberID: emulator.DefaultPhoneNumberID}, Statuses: sts})
			body, _ := json.Marshal(whatsapp.WebhookPayload{Object: "whatsapp_business_account",
				Entry: []whatsapp.Entry{{ID: emulator.DefaultWABAID, Changes: []whatsapp.Change{{Field: "messages", Value: value}}}}})
			bodies = append(bodies, body)
		}
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(env.dataDir, "parley.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()

	res := &StatusResult{Scenario: "status webhooks", Messages: len(msgs), Statuses: 3 * len(msgs), BatchSize: batch, Posts: len(bodies), Synchronous: o.sync}
	var mu sync.Mutex
	var lat []float64
	jobs := make(chan []byte)
	var wg sync.WaitGroup
	start := time.Now()
	for range 4 { // Meta posts concurrently
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range jobs {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, env.base+"/webhooks/whatsapp", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Hub-Signature-256", whatsapp.Sign(appSecret, body))
				resp, err := env.client.Do(req)
				mu.Lock()
				if err != nil || resp.StatusCode != http.StatusOK {
					res.WebhookPostError++
				}
				lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
				mu.Unlock()
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	for _, b := range bodies {
		jobs <- b
	}
	close(jobs)
	wg.Wait()
	for {
		var read int
		if err := db.QueryRow(`SELECT count(*) FROM messages WHERE status = 'read'`).Scan(&read); err != nil {
			return nil, err
		}
		if read >= len(msgs) {
			break
		}
		if time.Since(start) > o.drain {
			return nil, fmt.Errorf("only %d of %d messages read after %v", read, len(msgs), o.drain)
		}
		time.Sleep(20 * time.Millisecond)
	}
	res.Seconds = time.Since(start).Seconds()
	res.AppliedPerSec = float64(res.Statuses) / res.Seconds
	sort.Float64s(lat)
	res.PostP50Ms, res.PostP99Ms = pct(lat, 50), pct(lat, 99)
	return res, nil
}
