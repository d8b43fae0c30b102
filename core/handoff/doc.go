// Package handoff owns the agent queue: conversations handed from the bot
// to a person, by an escalation (conversation.escalated, from a keyword
// such as "agent"), a flow (handoff: true, or a menu option leading to
// one), a closed window with no template to fall back on, or the API.
// While a contact has an entry that is not closed, the bot is paused for
// it: the policy gate blocks bot messages, and customers' messages start
// no bot flows. An agent hands the conversation back through the API.
//
// Start with OpenTx and Paused (queue.go).
package handoff
