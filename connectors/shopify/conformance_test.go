package shopify

import (
	"testing"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/connectortest"
	"github.com/parley-hub/parley/sdk/golden"
)

func conformanceFeatures(t *testing.T) connectortest.Features {
	body := golden.Read(t, "orders_fulfilled.json")
	return connectortest.Features{
		Webhooks: true,
		Polling:  true,
		Health:   true,
		Config:   sdk.Config{keyClientSecret: testSecret, keyPreviousClientSecret: testPrev, keyDefaultRegion: "US"},
		ValidWebhook: func() sdk.WebhookRequest {
			return signedDelivery("orders/fulfilled", "c1", body, testSecret)
		},
		ForgedWebhook: func() sdk.WebhookRequest {
			return signedDelivery("orders/fulfilled", "c1", body, "shpss_attacker")
		},
		MalformedWebhook: func() sdk.WebhookRequest {
			return signedDelivery("orders/fulfilled", "c1", body[:len(body)/2], testSecret)
		},
		MoreForged: map[string]func() sdk.WebhookRequest{
			"no signature header": func() sdk.WebhookRequest { return signedDelivery("orders/fulfilled", "c1", body, "") },
			"body swapped": func() sdk.WebhookRequest {
				r := signedDelivery("orders/fulfilled", "c1", body, testSecret)
				r.Body = golden.Read(t, "orders_create.json")
				return r
			},
		},
		MoreMalformed: map[string]func() sdk.WebhookRequest{
			"order without id": func() sdk.WebhookRequest {
				return signedDelivery("orders/paid", "c1", []byte(`{"name":"#1"}`), testSecret)
			},
			"no topic header": func() sdk.WebhookRequest {
				r := signedDelivery("orders/paid", "c1", body, testSecret)
				r.Header.Del(headerTopic)
				return r
			},
		},
	}
}

func newConformanceConnector(t *testing.T) sdk.Connector {
	c := New()
	c.now = func() time.Time { return testNow }
	return c
}

func TestConformance(t *testing.T) {
	connectortest.Run(t, conformanceFeatures(t), newConformanceConnector)
}

func TestConformanceGRPC(t *testing.T) {
	connectortest.RunGRPC(t, conformanceFeatures(t), newConformanceConnector)
}
