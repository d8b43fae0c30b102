package connector_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parley-hub/parley/core/connector"
	"github.com/parley-hub/parley/plugins"
	"github.com/parley-hub/parley/sdk"
)

// Benchmarks of events through a real plugin process (the shopify
// connector, over go-plugin's gRPC with mTLS). Run them on two cores:
//
//	taskset -c 0,1 go test -run '^$' -bench 'Plugin' -benchtime 5s -cpu 2 ./core/connector/

func shopifyPlugin() plugins.Config {
	return plugins.Config{Name: "shopify", Path: bins["shopify"].path, SHA256: bins["shopify"].sum, HealthInterval: time.Hour,
		Config: map[string]string{"client_secret": shopifySecret, "default_region": "US"}}
}

// BenchmarkPluginHop measures one HandleWebhook round trip through real
// gRPC (go-plugin, mTLS over a Unix socket) to a plugin process, and
// reports the p50 and p99 latency: with the shopify connector (a signed
// orders/fulfilled delivery in, its order.shipped event out: the
// connector's own work, mostly JSON and phone parsing, is about 80 µs of
// it) and with the generic webhook connector (a small signed JSON object).
func BenchmarkPluginHop(b *testing.B) {
	needBinaries(b)
	body, h := shopifyDelivery(1, "+16505550001", "wh-bench")
	small := []byte(`{"id":"inv_1","kind":"invoice.paid","phone":"+16505550101","name":"Ana"}`)
	sh := http.Header{"X-Signature": {hex.EncodeToString(sdk.SignHMACSHA256([]byte(webhookSecret), small))}}
	for _, bc := range []struct {
		name string
		cfg  plugins.Config
		req  sdk.WebhookRequest
	}{
		{"shopify", shopifyPlugin(), sdk.WebhookRequest{Method: "POST", Path: "/", Header: h, Body: body, ReceivedAt: time.Now()}},
		{"webhook", genericPlugin("billing"), sdk.WebhookRequest{Method: "POST", Path: "/", Header: sh, Body: small, ReceivedAt: time.Now()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			host, err := plugins.New([]plugins.Config{bc.cfg}, testLog(b))
			if err != nil {
				b.Fatal(err)
			}
			if err := host.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer host.Close()
			client, _ := host.Connector(bc.cfg.Name)
			ctx := context.Background()
			for range 200 { // warm up the connection
				if _, err := client.HandleWebhook(ctx, bc.req); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, 0, 1<<16)
			for b.Loop() {
				start := time.Now()
				res, err := client.HandleWebhook(ctx, bc.req)
				lat = append(lat, time.Since(start))
				if err != nil || len(res.Events) != 1 {
					b.Fatalf("HandleWebhook: %v, %d events", err, len(res.Events))
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkPluginWebhooks measures events per second through the whole
// connector webhook path over HTTP with concurrent senders: store the raw
// request, hand it to the plugin, store its event through ingest (enqueued
// for flows) and mark the request processed, then answer 200. The database
// is on disk with synchronous=FULL, as Parley runs by default.
func BenchmarkPluginWebhooks(b *testing.B) {
	needBinaries(b)
	db := openStoreFull(b)
	c := startConnectors(b, db, connector.Config{Plugins: []plugins.Config{shopifyPlugin()}})
	srv := serve(b, c)
	hook := srv.URL + "/connectors/shopify/webhook"
	transport := &http.Transport{MaxIdleConnsPerHost: 256}
	client := &http.Client{Transport: transport}
	defer transport.CloseIdleConnections()
	var seq, events atomic.Int64
	var mu sync.Mutex
	var failures []string
	b.SetParallelism(16) // 16 senders per core
	selfBefore, childBefore := cpuTime(syscall.RUSAGE_SELF), cpuTime(syscall.RUSAGE_CHILDREN)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := int(seq.Add(1))
			body, h := shopifyDelivery(n, "+16505550001", fmt.Sprintf("wh-%d", n))
			req, _ := http.NewRequest("POST", hook, bytes.NewReader(body))
			req.Header = h
			res, err := client.Do(req)
			if err != nil || res.StatusCode != http.StatusOK {
				mu.Lock()
				failures = append(failures, fmt.Sprint(err, res))
				mu.Unlock()
				continue
			}
			_, _ = io.Copy(io.Discard, res.Body) // read to EOF, so the connection is reused
			res.Body.Close()
			events.Add(1)
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(failures) > 0 {
		b.Fatalf("%d requests failed, the first: %s", len(failures), failures[0])
	}
	b.ReportMetric(float64(events.Load())/elapsed.Seconds(), "events/s")
	// The CPU that every event cost, in this process (HTTP client and
	// server, store, gRPC client) and in the plugin's (its CPU is counted
	// once it has exited): what two cores can do when nothing else runs.
	c.Close()
	n := time.Duration(max(events.Load(), 1))
	self, plugin := cpuTime(syscall.RUSAGE_SELF)-selfBefore, cpuTime(syscall.RUSAGE_CHILDREN)-childBefore
	perEvent := (self + plugin) / n
	b.ReportMetric(float64(perEvent.Microseconds()), "cpu-µs/event")
	b.ReportMetric(float64((plugin / n).Microseconds()), "plugin-cpu-µs/event")
	b.ReportMetric(2*float64(time.Second)/float64(perEvent), "events/s-per-2-cores")
	if got := count(b, db, `SELECT count(*) FROM events`); int64(got) != events.Load() {
		b.Errorf("%d events stored for %d answered webhooks", got, events.Load())
	}
}

// cpuTime returns the user and system CPU time of who (RUSAGE_SELF, or
// RUSAGE_CHILDREN: the exited children waited for).
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
