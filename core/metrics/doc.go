// Package metrics owns Parley's Prometheus metrics: what is counted, under
// which names and labels, and the /metrics handler. Start with New and the
// list of metrics in metrics.go.
//
// The counters are fed by the components they observe through small
// interfaces those components own (api.Observer, inbox.StatusObserver) and
// by Client, which wraps the Cloud API client of the send stage. Queue
// depths, dead letters and plugin restarts are read when Prometheus scrapes,
// so they are right after a restart and cost nothing in between.
//
// No label carries personal data or an unbounded value: routes are the API's
// route patterns, statuses and outcomes come from fixed lists, and anything
// else is counted as "other".
package metrics
