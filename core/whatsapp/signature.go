package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// SignatureHeader is the header carrying a webhook POST's signature.
const SignatureHeader = "X-Hub-Signature-256"

const signaturePrefix = "sha256="

// Sign returns the X-Hub-Signature-256 value Meta sends with body:
// "sha256=" followed by the lowercase hex HMAC-SHA256 of the exact bytes,
// keyed with the app secret.
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks header (an X-Hub-Signature-256 value) against body
// in constant time. It must be given the raw bytes as received: JSON that
// was decoded and re-encoded (e.g. "\u00e9" turned into "é") no longer
// matches. Errors wrap ErrSignatureMissing, ErrSignatureMalformed or
// ErrSignatureMismatch.
func VerifySignature(appSecret string, body []byte, header string) error {
	if header == "" {
		return ErrSignatureMissing
	}
	if len(header) < len(signaturePrefix) || !strings.EqualFold(header[:len(signaturePrefix)], signaturePrefix) {
		return ErrSignatureMalformed
	}
	got, err := hex.DecodeString(header[len(signaturePrefix):])
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: want %d hex bytes", ErrSignatureMalformed, sha256.Size)
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrSignatureMismatch
	}
	return nil
}
