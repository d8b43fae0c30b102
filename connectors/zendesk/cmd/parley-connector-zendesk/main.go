// Command parley-connector-zendesk is the Zendesk connector plugin. Parley
// starts it; it is not meant to be run by hand.
package main

import (
	"github.com/parley-hub/parley/connectors/zendesk"
	"github.com/parley-hub/parley/sdk"
)

func main() {
	sdk.Serve(zendesk.New())
}
