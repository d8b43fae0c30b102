package shopify

import (
	"fmt"
	"strings"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/eventdata"
	sdkphone "github.com/parley-hub/parley/sdk/phone"
)

// Source is the sdk.Event Source of every event this connector emits.
const Source = "shopify"

// Parley event types this connector emits.
const (
	TypeOrderCreated       = "order.created"
	TypeOrderPaid          = "order.paid"
	TypeOrderShipped       = "order.shipped"
	TypeFulfillmentCreated = "fulfillment.created"
	TypeFulfillmentUpdated = "fulfillment.updated"
	TypeCheckoutUpdated    = "checkout.updated"
	TypeCartAbandoned      = "cart.abandoned"
	TypeConsentUpdated     = "consent.updated"
)

var orderTypes = map[string]string{
	"orders/create":    TypeOrderCreated,
	"orders/paid":      TypeOrderPaid,
	"orders/fulfilled": TypeOrderShipped,
}

// mapper turns one delivery's resource into events or skips.
type mapper struct {
	cfg *config
	d   delivery
}

func (m mapper) skip(res *sdk.WebhookResult, id, format string, args ...any) {
	res.Skipped = append(res.Skipped, sdk.Skip{ID: id, Reason: fmt.Sprintf(format, args...)})
}

// order maps orders/create, orders/paid and orders/fulfilled.
func (m mapper) order(res *sdk.WebhookResult, o *order) {
	id := m.d.eventIDFor(o.ID.String())
	contact, err := m.orderContact(o)
	if err != nil {
		m.skip(res, id, "order %s: %v", o.ID, err)
		return
	}
	data := m.orderData(o)
	if m.d.topic == "orders/fulfilled" {
		f := shippingFulfillment(o.Fulfillments)
		trackingData(data, f)
		if _, ok := data["tracking_url"]; !ok && o.OrderStatusURL != "" {
			// No carrier link: the order status page shows the shipment.
			data["tracking_url"] = o.OrderStatusURL
			data["tracking_url_source"] = "order_status_url"
		}
	}
	res.Events = append(res.Events, sdk.Event{
		Type:       orderTypes[m.d.topic],
		Source:     Source,
		ID:         id,
		OccurredAt: m.d.occurredAt(o.UpdatedAt, o.CreatedAt),
		Contact:    contact,
		Data:       data,
	})
}

// fulfillment maps fulfillments/create and fulfillments/update. The phone
// is the destination's (the fulfillment resource carries no customer).
func (m mapper) fulfillment(res *sdk.WebhookResult, f *fulfillment) {
	id := m.d.eventIDFor(f.ID.String())
	var c sdk.Contact
	var cands []sdkphone.Candidate
	if dst := f.Destination; dst != nil {
		cands = append(cands, sdkphone.Candidate{Field: "destination.phone", Raw: dst.Phone, Region: dst.CountryCode})
		c.Name = eventdata.First(eventdata.FullName(dst.FirstName, dst.LastName), dst.Name)
	}
	phone, err := sdkphone.Pick(m.cfg.defaultRegion, cands...)
	if err != nil {
		m.skip(res, id, "fulfillment %s: %v", f.ID, err)
		return
	}
	c.Phone, c.Email = phone, strings.TrimSpace(f.Email)
	c.Attributes = map[string]any{"shop_domain": m.d.shop}
	data := map[string]any{"shop_domain": m.d.shop}
	eventdata.Put(data, "fulfillment_id", f.ID.String())
	eventdata.Put(data, "order_id", f.OrderID.String())
	eventdata.Put(data, "name", f.Name)
	if n := fulfillmentOrderNumber(f.Name); n != "" {
		data["order_number"] = n
	}
	eventdata.Put(data, "status", f.Status)
	trackingData(data, f)
	typ := TypeFulfillmentCreated
	if m.d.topic == "fulfillments/update" {
		typ = TypeFulfillmentUpdated
	}
	m.testFlag(data)
	res.Events = append(res.Events, sdk.Event{
		Type: typ, Source: Source, ID: id,
		OccurredAt: m.d.occurredAt(f.UpdatedAt, f.CreatedAt),
		Contact:    c,
		Data:       data,
	})
}

// checkoutEvent maps a checkout to checkout.updated; ok is false (and a
// skip recorded) when it has no usable phone.
func (m mapper) checkoutEvent(res *sdk.WebhookResult, co *checkout) (sdk.Event, bool) {
	token := eventdata.First(co.Token, co.ID.String())
	id := m.d.eventIDFor(token)
	c, err := m.contact(co.Phone, co.Email, co.CustomerLocale, co.Customer, co.BillingAddress, co.ShippingAddress)
	if err != nil {
		m.skip(res, id, "checkout %s: %v", token, err)
		return sdk.Event{}, false
	}
	data := map[string]any{"shop_domain": m.d.shop, "checkout_token": token, "completed": co.CompletedAt != ""}
	eventdata.Put(data, "checkout_id", co.ID.String())
	eventdata.Put(data, "cart_token", co.CartToken)
	eventdata.Put(data, "abandoned_checkout_url", co.AbandonedCheckoutURL)
	eventdata.Put(data, "total_price", co.TotalPrice)
	eventdata.Put(data, "currency", co.Currency)
	eventdata.Put(data, "completed_at", co.CompletedAt)
	data["buyer_accepts_marketing"] = co.BuyerAcceptsMarketing
	data["line_items"] = items(co.LineItems)
	m.testFlag(data)
	return sdk.Event{
		Type: TypeCheckoutUpdated, Source: Source, ID: id,
		OccurredAt: m.d.occurredAt(co.UpdatedAt, co.CreatedAt),
		Contact:    c,
		Data:       data,
	}, true
}

// consent maps customers_marketing_consent/update to one consent.updated
// per channel present: "sms" from sms_marketing_consent, and "whatsapp"
// from whatsapp_marketing_consent (the REST name assumed for the WhatsApp
// consent Shopify added in API 2026-07).
func (m mapper) consent(res *sdk.WebhookResult, cu *consentUpdate) {
	base := m.d.eventIDFor(cu.ID.String())
	phone, err := sdkphone.Pick(m.cfg.defaultRegion, sdkphone.Candidate{Field: "phone", Raw: cu.Phone})
	if err != nil {
		m.skip(res, base, "customer %s consent: %v", cu.ID, err)
		return
	}
	emitted := 0
	for _, ch := range []struct {
		name string
		c    *marketingConsent
	}{{"whatsapp", cu.WhatsAppMarketingConsent}, {"sms", cu.SMSMarketingConsent}} {
		if ch.c == nil {
			continue
		}
		id := base + "/" + ch.name
		if ch.c.State == "" {
			m.skip(res, id, "customer %s %s consent has no state", cu.ID, ch.name)
			continue
		}
		data := map[string]any{"channel": ch.name, "state": ch.c.State, "source": Source, "customer_id": cu.ID.String(), "shop_domain": m.d.shop}
		eventdata.Put(data, "opt_in_level", ch.c.OptInLevel)
		eventdata.Put(data, "consent_updated_at", ch.c.ConsentUpdatedAt)
		eventdata.Put(data, "consent_collected_from", ch.c.ConsentCollectedFrom)
		res.Events = append(res.Events, sdk.Event{
			Type: TypeConsentUpdated, Source: Source, ID: id,
			OccurredAt: firstTime(m.d.occurredAt(), ch.c.ConsentUpdatedAt),
			Contact:    sdk.Contact{Phone: phone, ExternalID: cu.ID.String(), Attributes: map[string]any{"shop_domain": m.d.shop}},
			Data:       data,
		})
		emitted++
	}
	if emitted == 0 && len(res.Skipped) == 0 {
		m.skip(res, base, "customer %s: no sms_marketing_consent or whatsapp_marketing_consent in the payload", cu.ID)
	}
}

// orderContact is the buyer. Phones are tried in the order PROTOCOLS §1
// gives: phone, customer.phone, shipping_address.phone,
// billing_address.phone, customer.default_address.phone.
func (m mapper) orderContact(o *order) (sdk.Contact, error) {
	c, err := m.contact(o.Phone, eventdata.First(o.Email, o.ContactEmail), o.CustomerLocale, o.Customer, o.BillingAddress, o.ShippingAddress)
	return c, err
}

// contact builds the buyer of an order or checkout. A national number in a
// top-level or customer phone is read in the billing (else shipping, else
// the customer's default address) country; an address phone in its own
// address's country; the configured default_region is the last resort.
func (m mapper) contact(phone, email, locale string, cu *customer, billing, shipping *address) (sdk.Contact, error) {
	var def *address
	if cu != nil {
		def = cu.DefaultAddress
	}
	buyerRegion := eventdata.First(country(billing), country(shipping), country(def))
	cands := []sdkphone.Candidate{{Field: "phone", Raw: phone, Region: buyerRegion}}
	if cu != nil {
		cands = append(cands, sdkphone.Candidate{Field: "customer.phone", Raw: cu.Phone, Region: buyerRegion})
	}
	if shipping != nil {
		cands = append(cands, sdkphone.Candidate{Field: "shipping_address.phone", Raw: shipping.Phone, Region: shipping.CountryCode})
	}
	if billing != nil {
		cands = append(cands, sdkphone.Candidate{Field: "billing_address.phone", Raw: billing.Phone, Region: billing.CountryCode})
	}
	if def != nil {
		cands = append(cands, sdkphone.Candidate{Field: "customer.default_address.phone", Raw: def.Phone, Region: def.CountryCode})
	}
	e164, err := sdkphone.Pick(m.cfg.defaultRegion, cands...)
	if err != nil {
		return sdk.Contact{}, err
	}
	c := sdk.Contact{Phone: e164, Locale: strings.TrimSpace(locale), Email: strings.TrimSpace(email), Attributes: map[string]any{"shop_domain": m.d.shop}}
	if cu != nil {
		c.Name = eventdata.FullName(cu.FirstName, cu.LastName)
		c.ExternalID = cu.ID.String()
		c.Email = eventdata.First(c.Email, cu.Email)
	}
	for _, a := range []*address{billing, shipping} {
		if c.Name == "" && a != nil {
			c.Name = eventdata.First(eventdata.FullName(a.FirstName, a.LastName), a.Name)
		}
	}
	return c, nil
}

func (m mapper) orderData(o *order) map[string]any {
	data := map[string]any{"shop_domain": m.d.shop, "order_id": o.ID.String()}
	eventdata.Put(data, "order_number", orderNumber(o))
	eventdata.Put(data, "name", o.Name)
	eventdata.Put(data, "total_price", o.TotalPrice)
	eventdata.Put(data, "currency", o.Currency)
	eventdata.Put(data, "financial_status", o.FinancialStatus)
	eventdata.Put(data, "fulfillment_status", o.FulfillmentStatus)
	eventdata.Put(data, "order_status_url", o.OrderStatusURL)
	eventdata.Put(data, "checkout_token", o.CheckoutToken)
	data["line_items"] = items(o.LineItems)
	if o.Test {
		data["test"] = true
	}
	m.testFlag(data)
	return data
}

// testFlag marks events from Shopify's "send test notification".
func (m mapper) testFlag(data map[string]any) {
	if m.d.test {
		data["test"] = true
	}
}

// orderNumber is the display name without its "#" ("#1001" → "1001"),
// else the numeric order_number.
func orderNumber(o *order) string {
	if n := strings.TrimPrefix(strings.TrimSpace(o.Name), "#"); n != "" {
		return n
	}
	return o.OrderNumber.String()
}

// fulfillmentOrderNumber reads the order's number from a fulfillment name,
// which Shopify writes as the order name and a sequence ("#1001.1" → "1001").
func fulfillmentOrderNumber(name string) string {
	name = strings.TrimPrefix(strings.TrimSpace(name), "#")
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return ""
	}
	return name[:i]
}

// shippingFulfillment picks the fulfillment an orders/fulfilled delivery
// is about: the latest one with tracking, else the latest one.
func shippingFulfillment(fs []fulfillment) *fulfillment {
	for i := len(fs) - 1; i >= 0; i-- {
		f := &fs[i]
		if f.Status != "cancelled" && (f.TrackingNumber != "" || len(f.TrackingNumbers) > 0 || f.TrackingURL != "" || len(f.TrackingURLs) > 0) {
			return f
		}
	}
	if len(fs) > 0 {
		return &fs[len(fs)-1]
	}
	return nil
}

// trackingData adds tracking_number, tracking_url, carrier and friends.
func trackingData(data map[string]any, f *fulfillment) {
	if f == nil {
		return
	}
	eventdata.Put(data, "fulfillment_id", f.ID.String())
	eventdata.Put(data, "tracking_number", eventdata.First(append([]string{f.TrackingNumber}, f.TrackingNumbers...)...))
	eventdata.Put(data, "tracking_url", eventdata.First(append([]string{f.TrackingURL}, f.TrackingURLs...)...))
	eventdata.Put(data, "carrier", f.TrackingCompany)
	eventdata.Put(data, "shipment_status", f.ShipmentStatus)
	if len(f.TrackingNumbers) > 1 {
		data["tracking_numbers"] = eventdata.Strings(f.TrackingNumbers)
	}
	if len(f.TrackingURLs) > 1 {
		data["tracking_urls"] = eventdata.Strings(f.TrackingURLs)
	}
}

func country(a *address) string {
	if a == nil {
		return ""
	}
	return strings.TrimSpace(a.CountryCode)
}
