package shopify

import (
	"github.com/parley-hub/parley/sdk/eventdata"

	"encoding/json"
	"strings"
	"time"
)

// The structs below hold only the fields the connector reads from Shopify's
// REST resources (the webhook body is the bare resource). Ids are
// json.Number because Shopify ids exceed float64 precision.

type address struct {
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	CountryCode string `json:"country_code"`
}

type customer struct {
	ID             json.Number `json:"id"`
	Email          string      `json:"email"`
	Phone          string      `json:"phone"`
	FirstName      string      `json:"first_name"`
	LastName       string      `json:"last_name"`
	DefaultAddress *address    `json:"default_address"`
}

type lineItem struct {
	Title        string      `json:"title"`
	VariantTitle string      `json:"variant_title"`
	Quantity     json.Number `json:"quantity"`
	Price        string      `json:"price"`
	SKU          string      `json:"sku"`
}

type fulfillment struct {
	ID              json.Number `json:"id"`
	OrderID         json.Number `json:"order_id"`
	Name            string      `json:"name"`
	Status          string      `json:"status"`
	ShipmentStatus  string      `json:"shipment_status"`
	TrackingCompany string      `json:"tracking_company"`
	TrackingNumber  string      `json:"tracking_number"`
	TrackingNumbers []string    `json:"tracking_numbers"`
	TrackingURL     string      `json:"tracking_url"`
	TrackingURLs    []string    `json:"tracking_urls"`
	Email           string      `json:"email"`
	Destination     *address    `json:"destination"`
	CreatedAt       string      `json:"created_at"`
	UpdatedAt       string      `json:"updated_at"`
}

type order struct {
	ID                json.Number   `json:"id"`
	Name              string        `json:"name"`
	OrderNumber       json.Number   `json:"order_number"`
	Email             string        `json:"email"`
	ContactEmail      string        `json:"contact_email"`
	Phone             string        `json:"phone"`
	CustomerLocale    string        `json:"customer_locale"`
	Currency          string        `json:"currency"`
	TotalPrice        string        `json:"total_price"`
	FinancialStatus   string        `json:"financial_status"`
	FulfillmentStatus string        `json:"fulfillment_status"`
	OrderStatusURL    string        `json:"order_status_url"`
	CheckoutToken     string        `json:"checkout_token"`
	CreatedAt         string        `json:"created_at"`
	UpdatedAt         string        `json:"updated_at"`
	Test              bool          `json:"test"`
	Customer          *customer     `json:"customer"`
	ShippingAddress   *address      `json:"shipping_address"`
	BillingAddress    *address      `json:"billing_address"`
	LineItems         []lineItem    `json:"line_items"`
	Fulfillments      []fulfillment `json:"fulfillments"`
}

type checkout struct {
	ID                    json.Number `json:"id"`
	Token                 string      `json:"token"`
	CartToken             string      `json:"cart_token"`
	Email                 string      `json:"email"`
	Phone                 string      `json:"phone"`
	CustomerLocale        string      `json:"customer_locale"`
	AbandonedCheckoutURL  string      `json:"abandoned_checkout_url"`
	Currency              string      `json:"currency"`
	TotalPrice            string      `json:"total_price"`
	CompletedAt           string      `json:"completed_at"`
	CreatedAt             string      `json:"created_at"`
	UpdatedAt             string      `json:"updated_at"`
	BuyerAcceptsMarketing bool        `json:"buyer_accepts_marketing"`
	Customer              *customer   `json:"customer"`
	ShippingAddress       *address    `json:"shipping_address"`
	BillingAddress        *address    `json:"billing_address"`
	LineItems             []lineItem  `json:"line_items"`
}

// marketingConsent is sms_marketing_consent (and, since API 2026-07, the
// WhatsApp consent on the customer's default phone; see consent.go).
type marketingConsent struct {
	State                string `json:"state"`
	OptInLevel           string `json:"opt_in_level"`
	ConsentUpdatedAt     string `json:"consent_updated_at"`
	ConsentCollectedFrom string `json:"consent_collected_from"`
}

type consentUpdate struct {
	ID                       json.Number       `json:"id"`
	Phone                    string            `json:"phone"`
	SMSMarketingConsent      *marketingConsent `json:"sms_marketing_consent"`
	WhatsAppMarketingConsent *marketingConsent `json:"whatsapp_marketing_consent"`
}

// parseTime reads Shopify's ISO 8601 timestamps ("2026-05-01T10:00:00-04:00").
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !eventdata.EncodableTime(t) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// firstTime returns the first of vals that parses, or fallback.
func firstTime(fallback time.Time, vals ...string) time.Time {
	for _, v := range vals {
		if t, ok := parseTime(v); ok {
			return t
		}
	}
	return fallback.UTC()
}

func items(lis []lineItem) []any {
	out := make([]any, 0, len(lis))
	for _, li := range lis {
		m := map[string]any{"title": li.Title, "price": li.Price}
		if q, err := li.Quantity.Float64(); err == nil {
			m["quantity"] = q
		}
		if li.VariantTitle != "" {
			m["variant_title"] = li.VariantTitle
		}
		if li.SKU != "" {
			m["sku"] = li.SKU
		}
		out = append(out, m)
	}
	return out
}
