// Package shopify is Parley's Shopify connector plugin: it verifies
// Shopify webhook deliveries and turns them into Parley events, and it
// tracks checkouts to report abandoned carts. It is built only on the
// public sdk, exactly as a third-party connector would be; the binary is
// cmd/parley-connector-shopify.
//
// Start with HandleWebhook (webhook.go), then events.go for the mapping and
// abandoned.go for the cart timer.
//
// # Events
//
//	Shopify topic                        Parley event         Notes
//	orders/create                        order.created        also cancels the checkout's abandoned-cart wait
//	orders/paid                          order.paid
//	orders/fulfilled                     order.shipped        data.order_number, tracking_url, tracking_number, carrier
//	fulfillments/create                  fulfillment.created  tracking from the fulfillment; phone from destination
//	fulfillments/update                  fulfillment.updated
//	checkouts/create, checkouts/update   checkout.updated     completed_at cancels the abandoned-cart wait
//	(none: a timer, via Poll)            cart.abandoned       data.abandoned_checkout_url (= recovery_url)
//	checkouts/delete                     (skip)               cancels the wait
//	customers_marketing_consent/update   consent.updated      one per channel: "whatsapp", "sms"
//	anything else                        (skip)               200 with the reason, so Shopify does not retry
//
// # Phones
//
// Every event here is about a customer Parley would message, so a resource
// without a usable phone is skipped (sdk.Skip, with every candidate tried
// and why it failed), never sent on with a guessed number. Candidates are
// tried in order: phone, customer.phone, shipping_address.phone,
// billing_address.phone, customer.default_address.phone; the first valid
// one wins. A national number is read in its address's country_code (the
// top-level and customer phones in the billing, else shipping, else default
// address's country), else in default_region; with neither it is refused.
// Letters (the sample's "555-555-SHIP") and numbers invalid for their
// country (the sample's "(555)555-5555") are refused.
//
// # Identity and dedupe
//
// DedupeKey is "<shop domain>/<X-Shopify-Webhook-Id>". Event ids are
// "<shop>/<topic>/<X-Shopify-Event-Id>" (the same on retries and across
// duplicate subscriptions), falling back to the webhook id and then to a
// hash of the body. OccurredAt is X-Shopify-Triggered-At.
//
// Shopify signs only the body: the topic and shop headers are not covered
// by the HMAC.
//
// # Abandoned carts
//
// See abandoned.go for the in-memory timer and its restart caveat.
package shopify
