package zendesk

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// Webhook signature headers.
const (
	headerSignature = "X-Zendesk-Webhook-Signature"
	headerTimestamp = "X-Zendesk-Webhook-Signature-Timestamp"
)

// testSigningSecret is the public key Zendesk's webhook builder signs "Test
// webhook" deliveries with, before the webhook (and its secret) exists. It is
// used verbatim as the HMAC key.
const testSigningSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="

// errTestDelivery reports a delivery signed with testSigningSecret.
type errTestDelivery struct{}

func (errTestDelivery) Error() string { return "signed with Zendesk's public test secret" }

// verifySignature checks X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(
// secret, timestamp + raw body)) and that the RFC 3339 timestamp is within
// skew of now. A delivery signed with the public test secret gives
// errTestDelivery when acceptTests is set; every other failure wraps
// sdk.ErrUnauthorized.
func verifySignature(secret []byte, body []byte, h headerGetter, now time.Time, skew time.Duration, acceptTests bool) error {
	sig := strings.TrimSpace(h.Get(headerSignature))
	ts := strings.TrimSpace(h.Get(headerTimestamp))
	if sig == "" || ts == "" {
		return fmt.Errorf("%w: missing %s or %s header", sdk.ErrUnauthorized, headerSignature, headerTimestamp)
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not RFC 3339", sdk.ErrUnauthorized, headerTimestamp, ts)
	}
	if d := now.Sub(at); d > skew || d < -skew {
		return fmt.Errorf("%w: %s is %s away from now (limit %s; see %s)", sdk.ErrUnauthorized, headerTimestamp, d.Round(time.Second), skew, keyMaxClockSkew)
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: %s is not base64", sdk.ErrUnauthorized, headerSignature)
	}
	msg := append([]byte(ts), body...)
	if sdk.VerifyHMACSHA256(secret, msg, got) {
		return nil
	}
	if acceptTests && sdk.VerifyHMACSHA256([]byte(testSigningSecret), msg, got) {
		return errTestDelivery{}
	}
	return fmt.Errorf("%w: %s does not match", sdk.ErrUnauthorized, headerSignature)
}

type headerGetter interface{ Get(string) string }

// Sign returns the X-Zendesk-Webhook-Signature and
// X-Zendesk-Webhook-Signature-Timestamp values Zendesk would send. Tests
// and local tools use it.
func Sign(secret string, body []byte, at time.Time) (signature, timestamp string) {
	ts := at.UTC().Format(time.RFC3339)
	mac := sdk.SignHMACSHA256([]byte(secret), append([]byte(ts), body...))
	return base64.StdEncoding.EncodeToString(mac), ts
}
