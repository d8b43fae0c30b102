// Package hubspot is Parley's HubSpot connector plugin. It verifies HubSpot
// app webhooks (signature v3), turns each event of a batch into a Parley
// event with the contact read from the CRM API, and offers two actions to
// flows: lookup_contact (find a contact by phone) and add_note (write a
// WhatsApp transcript to the contact's timeline). It is built only on the
// public sdk; the binary is cmd/parley-connector-hubspot.
//
// Start with HandleWebhook (webhook.go), then actions.go and client.go. The
// fake HubSpot API the tests run against is package hubspottest.
//
// # Events
//
//	subscriptionType (or eventType)  Parley event      contact
//	contact.creation                 contact.created   read from the CRM
//	contact.propertyChange           contact.updated   read from the CRM; data.property_name, data.property_value
//	deal.propertyChange              deal.updated      none (a deal has no phone); data.deal_id, property_name, property_value
//	anything else                    (skip)            with the reason
//
// Event ids are "<portalId>/<subscriptionId>/<eventId>" (HubSpot's eventId
// alone is not unique; attemptNumber is left out so retries share the id).
// DedupeKey is a hash of the batch's event ids.
//
// # Phones
//
// Contacts are read with GET /crm/v3/objects/contacts/{id}; mobilephone is
// tried before phone. A contact with no phone at all still gives its event,
// without a phone (contact.created usually comes before the phone is set,
// and a later contact.updated for "phone" brings it). A contact whose
// phones are all unreadable (no country code and no default_region,
// letters, invalid for the country) is skipped with the reason, never sent
// on with a guessed number. A contact that no longer exists (404) is
// skipped too.
//
// # Signature
//
// v3: base64(HMAC-SHA256(client secret, method + URI + raw body +
// timestamp)), the timestamp within 5 minutes of the hub's receive time. The
// URI is the public URL HubSpot called, which the connector cannot see
// behind a proxy, so it comes from the webhook_url config.
package hubspot
