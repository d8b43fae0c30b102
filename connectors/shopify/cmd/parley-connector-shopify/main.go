// Command parley-connector-shopify is the Shopify connector plugin. Parley
// starts it; it is not meant to be run by hand.
package main

import (
	"github.com/parley-hub/parley/connectors/shopify"
	"github.com/parley-hub/parley/sdk"
)

func main() {
	sdk.Serve(shopify.New())
}
