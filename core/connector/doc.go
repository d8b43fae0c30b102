// Package connector is the hub's side of connector plugins, the stages
// between package plugins (which runs the processes) and the rest of the
// data path:
//
//   - webhooks (webhook.go, settle.go): POST /connectors/{name}/webhook is
//     stored raw in connector_inbox first, then handed to the plugin; the
//     events it returns are stored through package ingest, in the
//     transaction that settles the inbox row, before the sender gets its
//     2xx. A delivery is processed once per dedupe key. While the plugin is
//     down the row stays pending, the sender gets 202, and the retry loop
//     (retry.go) hands it over once the plugin is back.
//   - polls (poll.go): connectors that poll are called on a timer, their
//     events and cursor stored together.
//   - actions (actions.go, input.go, transcript.go): flows name connector
//     actions; each is a connector_actions row run by the actions stage,
//     with retries and the dead-letter queue.
//
// Start reading at Connectors in connectors.go: New, Start, Run, Close.
package connector
