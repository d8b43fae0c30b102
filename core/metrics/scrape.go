package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// scraped reads the queue depths, dead letters and plugin restarts when
// Prometheus scrapes.
type scraped struct {
	cfg                     Config
	depth, letters, pending *prometheus.Desc
	restarts                *prometheus.Desc
}

func newScraped(cfg Config) *scraped {
	return &scraped{
		cfg: cfg,
		depth: prometheus.NewDesc(namespace+"_queue_depth",
			"Messages a consumer group has not acked yet, per topic; state unclaimed (waiting) or leased (being handled, or held by a lease that will expire).",
			[]string{"topic", "group", "state"}, nil),
		letters: prometheus.NewDesc(namespace+"_dead_letters_total",
			"Dead letters stored, per original topic: messages that failed for good, with their reason (parley dlq list).",
			[]string{"topic"}, nil),
		pending: prometheus.NewDesc(namespace+"_dead_letters_pending",
			"Dead letters not replayed yet, per original topic.",
			[]string{"topic"}, nil),
		restarts: prometheus.NewDesc(namespace+"_plugin_restarts_total",
			"Restarts of each connector plugin since Parley started.",
			[]string{"plugin"}, nil),
	}
}

func (s *scraped) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.depth
	ch <- s.letters
	ch <- s.pending
	ch <- s.restarts
}

func (s *scraped) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ScrapeTimeout)
	defer cancel()
	if s.cfg.Queues != nil {
		depths, err := s.cfg.Queues(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(s.depth, err)
		}
		for _, d := range depths {
			ch <- prometheus.MustNewConstMetric(s.depth, prometheus.GaugeValue, float64(d.Unclaimed), d.Topic, d.Group, "unclaimed")
			ch <- prometheus.MustNewConstMetric(s.depth, prometheus.GaugeValue, float64(d.Leased), d.Topic, d.Group, "leased")
		}
	}
	if s.cfg.DeadLetters != nil {
		counts, err := s.cfg.DeadLetters(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(s.letters, err)
		}
		for _, c := range counts {
			ch <- prometheus.MustNewConstMetric(s.letters, prometheus.CounterValue, float64(c.Total), c.Topic)
			ch <- prometheus.MustNewConstMetric(s.pending, prometheus.GaugeValue, float64(c.Pending), c.Topic)
		}
	}
	if s.cfg.PluginRestarts != nil {
		for name, n := range s.cfg.PluginRestarts() {
			ch <- prometheus.MustNewConstMetric(s.restarts, prometheus.CounterValue, float64(n), name)
		}
	}
}
