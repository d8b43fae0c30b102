// Package zendesk is Parley's Zendesk Support connector plugin. It verifies
// Zendesk webhook deliveries and turns ticket activity into Parley events,
// and it offers two actions to flows: create_ticket (a ticket from a
// WhatsApp conversation) and add_comment. It is built only on the public
// sdk; the binary is cmd/parley-connector-zendesk.
//
// Start with HandleWebhook (webhook.go), then actions.go and client.go. The
// fake Zendesk API the tests run against is package zendesktest.
//
// # Two kinds of webhook
//
// A Zendesk webhook is either subscribed to Zendesk events or connected to
// triggers and automations; both are accepted on the same endpoint.
//
// Event-subscribed webhooks send a fixed envelope whose "detail" is a ticket
// snapshot with ids only, so the requester is read with GET
// /api/v2/users/{requester_id}:
//
//	Zendesk event type                Parley event           Notes
//	ticket.created                    ticket.created
//	ticket.status_changed → solved    ticket.solved          data.current, data.previous
//	ticket.status_changed → closed    ticket.closed
//	ticket.status_changed (other)     ticket.updated         data.change = "status_changed"
//	ticket.comment_added              ticket.comment_added   public agent comments only; data.comment_body, author_name
//	other ticket.* (priority, tags…)  ticket.updated         data.change = the Zendesk suffix, current, previous
//	user.*, organization.*, …         (skip)
//
// Internal notes are skipped (never forwarded to a customer), and so are
// comments by the requester or by a non-staff author (so a customer's own
// message is not echoed back). A public comment the connector itself posts
// with add_comment is an agent comment and does come back as
// ticket.comment_added: flows that mirror comments to WhatsApp should post
// internal notes (the default) or filter on data.author_id.
//
// Event ids and the dedupe key come from the envelope's "id".
//
// Trigger and automation webhooks send a body the admin writes. Use this
// JSON template (method POST, JSON); "event" is the Parley type the trigger
// stands for — ticket.created, ticket.updated, ticket.solved, ticket.closed
// or ticket.comment_added — and, when absent, follows the status:
//
//	{
//	  "event": "ticket.solved",
//	  "ticket": {
//	    "id": "{{ticket.id}}",
//	    "external_id": "{{ticket.external_id}}",
//	    "subject": "{{ticket.title}}",
//	    "status": "{{ticket.status}}",
//	    "priority": "{{ticket.priority}}",
//	    "url": "{{ticket.link}}",
//	    "updated_at": "{{ticket.updated_at_with_timestamp}}",
//	    "tags": "{{ticket.tags}}",
//	    "latest_public_comment": "{{ticket.latest_public_comment}}"
//	  },
//	  "requester": {
//	    "id": "{{ticket.requester.id}}",
//	    "name": "{{ticket.requester.name}}",
//	    "email": "{{ticket.requester.email}}",
//	    "phone": "{{ticket.requester.phone}}"
//	  }
//	}
//
// The event id is "ticket/<id>/<event>/<updated_at>" (a hash of the body
// when updated_at is empty), so Zendesk's retries share it; updated_at
// ("2026-05-02T09:00Z", ISO 8601) is also the event's time. requester may
// also carry "locale" with a locale code such as "pt-BR"; no placeholder
// renders one ({{ticket.requester.language}} is a language name), so the
// template leaves it out.
//
// # Phones
//
// Everything this connector emits is something Parley would tell the
// requester on WhatsApp, so a requester without a usable phone — most
// Zendesk users have none — is skipped with the reason (sdk.Skip), never
// sent on with a guessed number. A national number is read in
// default_region; without one it is refused.
//
// # Signature
//
// base64(HMAC-SHA256(signing secret, timestamp + raw body)), the RFC 3339
// timestamp within max_clock_skew (default 5 minutes; Zendesk prescribes
// none) of the hub's receive time. Deliveries from the webhook builder's
// "Test webhook", signed with Zendesk's public test secret, are refused
// unless accept_test_deliveries is set, and even then give no events.
//
// # Actions
//
// create_ticket first finds or creates the requester with POST
// /api/v2/users/create_or_update, keyed by external_id "whatsapp:<E.164>",
// setting its phone: a ticket's requester given only inline would not keep
// the phone, and this connector's own ticket events would then be skipped
// for want of one. (No email is sent: Zendesk would match an existing user
// by it and overwrite that user's external_id.) It is idempotent across
// retries: the ticket's external_id is
// the input external_id or "parley:<idempotency key>", the connector first
// looks for a ticket with it (GET /api/v2/tickets?external_id=…), and the key
// is also sent as Zendesk's Idempotency-Key. add_comment (PUT
// /api/v2/tickets/{id}) has no such support in Zendesk; retries with the same
// key are answered from memory while the plugin process lives.
package zendesk
