package hubspot

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// Webhook signature v3 headers.
const (
	headerSignatureV3 = "X-HubSpot-Signature-v3"
	headerTimestamp   = "X-HubSpot-Request-Timestamp"
)

// maxTimestampSkew is how far X-HubSpot-Request-Timestamp may be from now;
// HubSpot says to reject requests older than 5 minutes.
const maxTimestampSkew = 5 * time.Minute

// uriDecoder undoes the percent-encodings HubSpot's v3 docs list, which
// HubSpot decodes in the URI before signing.
var uriDecoder = strings.NewReplacer(
	"%3A", ":", "%2F", "/", "%3F", "?", "%40", "@", "%21", "!", "%24", "$",
	"%27", "'", "%28", "(", "%29", ")", "%2A", "*", "%2C", ",", "%3B", ";",
	"%3a", ":", "%2f", "/", "%3f", "?", "%2a", "*", "%2c", ",", "%3b", ";",
)

// verifySignature checks a v3 signature: base64(HMAC-SHA256(client secret,
// method + uri + body + timestamp)) with the timestamp (Unix milliseconds)
// within 5 minutes of now. Each candidate URI is tried. The error wraps
// sdk.ErrUnauthorized.
func verifySignature(secret []byte, method string, uris []string, body []byte, h headerGetter, now time.Time) error {
	sig := strings.TrimSpace(h.Get(headerSignatureV3))
	ts := strings.TrimSpace(h.Get(headerTimestamp))
	if sig == "" || ts == "" {
		return fmt.Errorf("%w: missing %s or %s header", sdk.ErrUnauthorized, headerSignatureV3, headerTimestamp)
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not Unix milliseconds", sdk.ErrUnauthorized, headerTimestamp, ts)
	}
	if skew := now.Sub(time.UnixMilli(ms)); skew > maxTimestampSkew || skew < -maxTimestampSkew {
		return fmt.Errorf("%w: %s is %s away from now (limit %s)", sdk.ErrUnauthorized, headerTimestamp, skew.Round(time.Second), maxTimestampSkew)
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: %s is not base64", sdk.ErrUnauthorized, headerSignatureV3)
	}
	for _, uri := range uris {
		if sdk.VerifyHMACSHA256(secret, signedMessage(method, uri, body, ts), got) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s does not match (signed URI tried: %s)", sdk.ErrUnauthorized, headerSignatureV3, strings.Join(uris, ", "))
}

type headerGetter interface{ Get(string) string }

func signedMessage(method, uri string, body []byte, ts string) []byte {
	msg := make([]byte, 0, len(method)+len(uri)+len(body)+len(ts))
	msg = append(msg, method...)
	msg = append(msg, uriDecoder.Replace(uri)...)
	msg = append(msg, body...)
	return append(msg, ts...)
}

// SignV3 returns the X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp
// values HubSpot would send for a request. Tests and local tools use it.
func SignV3(secret, method, uri string, body []byte, at time.Time) (signature, timestamp string) {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	mac := sdk.SignHMACSHA256([]byte(secret), signedMessage(method, uri, body, ts))
	return base64.StdEncoding.EncodeToString(mac), ts
}
