// Command parley-connector-webhook is the generic signed-JSON webhook
// connector plugin. Parley starts it; it is not meant to be run by hand.
package main

import (
	"github.com/parley-hub/parley/connectors/webhook"
	"github.com/parley-hub/parley/sdk"
)

func main() {
	sdk.Serve(webhook.New())
}
