package emulator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// benchEmulator is a started emulator with throughput and pair limits off,
// posting its webhooks to a receiver that only counts.
func benchEmulator(b *testing.B) (*Emulator, [][]byte, *atomic.Int64) {
	b.Helper()
	var posts atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		posts.Add(1)
	}))
	b.Cleanup(rcv.Close)
	e, err := New(Config{
		AccessToken: testToken, AppSecret: testSecret, WebhookURL: rcv.URL,
		Throughput: Unlimited, PairLimit: PairLimit{Disabled: true},
		StatusLatency: time.Millisecond, ReadAfter: time.Millisecond,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(func() { cancel(); e.Close() })
	if err := e.Start(ctx); err != nil {
		b.Fatal(err)
	}
	bodies := make([][]byte, 10_000)
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"messaging_product":"whatsapp","recipient_type":"individual","to":"+1650%07d",`+
			`"type":"template","template":{"name":"hello_world","language":{"code":"en_US"}}}`, i)
	}
	return e, bodies, &posts
}

// BenchmarkSend measures the send handler in process (no network): parallel
// template sends to 10,000 recipients, with statuses and webhooks flowing.
func BenchmarkSend(b *testing.B) {
	e, bodies, posts := benchEmulator(b)
	h := e.Handler()
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			req, _ := http.NewRequest(http.MethodPost, sendPath, bytes.NewReader(bodies[i%int64(len(bodies))]))
			req.Header.Set("Authorization", "Bearer "+testToken)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("HTTP %d %s", w.Code, w.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sends/s")
	b.StopTimer()
	reportWebhooks(b, e, posts)
}

// BenchmarkSendHTTP is BenchmarkSend over loopback HTTP with keep-alive.
func BenchmarkSendHTTP(b *testing.B) {
	e, bodies, posts := benchEmulator(b)
	srv := httptest.NewServer(e.Handler())
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	url := srv.URL + sendPath
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i%int64(len(bodies))]))
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("HTTP %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sends/s")
	b.StopTimer()
	reportWebhooks(b, e, posts)
}

// reportWebhooks waits for the statuses to drain and reports how many
// statuses went per POST.
func reportWebhooks(b *testing.B, e *Emulator, posts *atomic.Int64) {
	deadline := time.Now().Add(30 * time.Second)
	for e.Stats().Webhooks.Pending > 0 || e.sched.len() > 0 {
		if time.Now().After(deadline) {
			b.Logf("webhooks still pending after 30s: %+v", e.Stats().Webhooks)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p := posts.Load(); p > 0 {
		b.ReportMetric(float64(e.Stats().Webhooks.Delivered)/float64(p), "statuses/POST")
	}
}
