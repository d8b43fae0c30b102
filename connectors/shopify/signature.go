package shopify

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/parley-hub/parley/sdk"
)

// headerHMAC carries base64(HMAC-SHA256(client secret, raw body)).
const headerHMAC = "X-Shopify-Hmac-Sha256"

// verifySignature checks the X-Shopify-Hmac-Sha256 header against the raw
// body with each secret in turn (current, then previous during a rotation),
// in constant time. The error wraps sdk.ErrUnauthorized.
func verifySignature(body []byte, header string, secrets [][]byte) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return fmt.Errorf("%w: missing %s header", sdk.ErrUnauthorized, headerHMAC)
	}
	got, err := base64.StdEncoding.DecodeString(header)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: %s is not a base64 HMAC-SHA256", sdk.ErrUnauthorized, headerHMAC)
	}
	for _, s := range secrets {
		if sdk.VerifyHMACSHA256(s, body, got) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s does not match the body", sdk.ErrUnauthorized, headerHMAC)
}

// Sign returns the X-Shopify-Hmac-Sha256 value Shopify would send for body.
// Tests and local tools use it to produce deliveries.
func Sign(secret string, body []byte) string {
	return base64.StdEncoding.EncodeToString(sdk.SignHMACSHA256([]byte(secret), body))
}
