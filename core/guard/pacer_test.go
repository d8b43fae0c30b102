package guard

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"
)

// paceRun sends n messages through a Pacer of rate per second from
// workers goroutines, the way the send stage does, and returns when each
// one went (read right after Wait, as the send stage calls the API).
func paceRun(rate, n, workers int) []time.Time {
	p := NewPacer(rate)
	var mu sync.Mutex
	times := make([]time.Time, 0, n)
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range jobs {
				if err := p.Wait(context.Background()); err != nil {
					panic(err)
				}
				t := time.Now()
				mu.Lock()
				times = append(times, t)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	return times
}

// windows returns the most sends in any one-second window [t, t+1s), and
// the fewest in any such window that lies wholly inside the run.
func windows(times []time.Time) (most, fewest int) {
	fewest = len(times)
	j := 0
	for i, t := range times {
		for j < len(times) && times[j].Before(t.Add(time.Second)) {
			j++
		}
		most = max(most, j-i)
		if j < len(times) { // the window ends before the last send: it is full
			fewest = min(fewest, j-i)
		}
	}
	return most, fewest
}

// BenchmarkPacer shows that sends never exceed the configured rate in any
// one-second window and use at least 95% of it over the run (min_sends/s,
// the fewest in any full second, also shows how much a loaded machine's
// scheduling costs):
//
//	go test -run '^$' -bench BenchmarkPacer -benchtime 1x ./core/guard/
//
// Each run sends max(b.N, 4·rate) messages from 64 goroutines.
func BenchmarkPacer(b *testing.B) {
	for _, rate := range []int{80, 1000} {
		b.Run(map[int]string{80: "rate=80", 1000: "rate=1000"}[rate], func(b *testing.B) {
			n := max(b.N, 4*rate)
			times := paceRun(rate, n, 64)
			most, fewest := windows(times)
			mean := float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
			b.ReportMetric(float64(most), "max_sends/s")
			b.ReportMetric(float64(fewest), "min_sends/s")
			b.ReportMetric(mean, "mean_sends/s")
			b.ReportMetric(100*mean/float64(rate), "%_of_rate")
			if most > rate {
				b.Errorf("%d sends in one second; the rate is %d", most, rate)
			}
			if mean < 0.95*float64(rate) {
				b.Errorf("%.1f sends per second; want at least 95%% of %d", mean, rate)
			}
		})
	}
}

func TestPacerRate(t *testing.T) {
	if testing.Short() {
		t.Skip("paces real sends for 3 s")
	}
	t.Parallel()
	times := paceRun(1000, 3000, 64)
	most, _ := windows(times)
	mean := float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
	if most > 1000 || mean < 950 {
		t.Errorf("sends per second: at most %d in one second, %.1f on average; want ≤ 1000 and ≥ 950", most, mean)
	}
}

func TestPacerThrottled(t *testing.T) {
	t.Parallel()
	p := NewPacer(100)
	p.Throttled(300 * time.Millisecond)
	start := time.Now()
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("a send went %s after a 130429 with a 300ms pause", d)
	}
	if l := p.lim.Limit(); l >= 99 {
		t.Errorf("limit after 130429 = %v; want lowered", l)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.Throttled(time.Hour)
	if err := p.Wait(ctx); err == nil {
		t.Error("Wait returned nil on a cancelled context while paused")
	}
}
