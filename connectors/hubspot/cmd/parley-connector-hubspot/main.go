// Command parley-connector-hubspot is the HubSpot connector plugin. Parley
// starts it; it is not meant to be run by hand.
package main

import (
	"github.com/parley-hub/parley/connectors/hubspot"
	"github.com/parley-hub/parley/sdk"
)

func main() {
	sdk.Serve(hubspot.New())
}
