// Package deadletter owns what happens to pipeline messages that fail for
// good: they land in the dead_letters table with the reason, the topic and
// the handler, and nothing is lost. Start with Permanent (how a handler says
// "do not retry this") and Sink (the Watermill publisher behind the poison
// queue middleware).
package deadletter
