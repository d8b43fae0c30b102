// Package conversation is the stage that reads each customer's message
// (the inbound topic, announced by the inbox) for the policy gate and the
// bot: it resolves the sender's contact, opens the customer-service window
// (and the free entry point period of a click-to-WhatsApp referral), applies stop and start
// keywords to the consent ledger and confirms them, puts a request for a
// person in the agent queue, and — unless the bot is paused for the
// contact — emits the event message.received (or message.reply for a
// button or list reply, naming the menu's flow) for flows.
//
// Start with Stage.Handle.
package conversation
