// Package deadletter owns what happens to pipeline messages that fail for
// good: they land in the dead_letters table with the reason, the topic and
// the handler, and nothing is lost. Start with Permanent (how a handler says
// "do not retry this") and Sink (the Watermill publisher behind the poison
// queue middleware). Queue (query.go, replay.go) is the operators' side:
// list and show letters, and replay one on its original topic, at most once,
// with a per-topic ReplayHook that resets the topic's rows in the same
// transaction.
package deadletter
