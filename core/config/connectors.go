package config

import (
	"time"
)

// Connector is a connector plugin Parley starts: a binary built on the sdk
// package, such as bin/connectors/parley-connector-shopify.
type Connector struct {
	Name         string        `koanf:"name" required:"true" pattern:"^[a-z][a-z0-9_-]*$" example:"shopify" desc:"Name of the connector in Parley: its webhook URL is /connectors/{name}/webhook and flows call its actions as {name}.{action}. Lower-case letters, digits, - and _; unique. Two entries may run the same binary under different names (two shops)."`
	Path         string        `koanf:"path" required:"true" example:"bin/connectors/parley-connector-shopify" desc:"The plugin binary (make plugins builds the first-party ones into bin/connectors). A relative path is taken from the working directory."`
	SHA256       string        `koanf:"sha256" required:"production" pattern:"^[0-9a-f]{64}$" example:"8a0d8a3f5e1b4c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f" desc:"Lowercase hex SHA-256 of the binary (sha256sum prints it; make plugins writes bin/connectors/SHA256SUMS). Parley refuses to run a binary that does not match. In sandbox mode it may be empty: Parley then computes it and logs it."`
	Enabled      bool          `koanf:"enabled" default:"true" desc:"Whether Parley starts the connector. A disabled connector's webhook URL answers 404 and flows may not call its actions."`
	Config       Values        `koanf:"config" example:"{client_secret: shpss_0123456789abcdef, default_region: US}" desc:"The connector's own settings, by the field names its spec declares (parley plugins inspect NAME lists them, with which are required and which are secret). Values are strings. Checked against the spec when the connector starts; values of secret fields, and of keys named like secret, token, password or key, are redacted in logs and dumps."`
	PollInterval time.Duration `koanf:"poll_interval" default:"30s" min:">0" desc:"For connectors that poll: the wait between polls when the connector does not say how long to wait."`
}

// Escalation configures hand-over to a person: a customer's WhatsApp
// message that is one of the keywords becomes a conversation.escalated
// event, which flows can route to a help desk (for example the action
// zendesk.create_ticket).
type Escalation struct {
	Keywords []string `koanf:"keywords" example:"[agent, human, talk to a person]" desc:"Messages that ask for a person. A customer's text message equal to one of them (ignoring case, surrounding spaces and trailing punctuation) emits the event conversation.escalated (source whatsapp, contact.phone the customer's, data.text the message, data.keyword the keyword matched). Empty turns escalation off."`
}

// FlowAction names a connector action a flow runs, and how to fill its inputs.
type FlowAction struct {
	Name  string `koanf:"name" pattern:"^[a-z][a-z0-9_-]*\\.[a-z][a-z0-9_-]*$" example:"zendesk.create_ticket" desc:"The action to run, as {connector}.{action}: a connector listed under connectors and one of the actions its spec declares (checked when Parley starts). Empty: the flow sends a message instead. Exactly one of template, text and action."`
	Input Values `koanf:"input" example:"{subject: \"WhatsApp: {{contact.name}}\", comment: \"{{transcript}}\", requester_phone: \"{{contact.phone}}\"}" desc:"The action's inputs, by name. Values are text with {{path}} placeholders filled from the event (contact.<field>, data.<field>, id, type, source, occurred_at; a missing one is empty) and {{transcript}}, the recent WhatsApp conversation with the event's contact."`
}
