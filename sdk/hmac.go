package sdk

import (
	"crypto/hmac"
	"crypto/sha256"
)

// SignHMACSHA256 returns the raw HMAC-SHA256 of msg under secret. Encode it
// as the vendor does (hex, base64) to build test fixtures.
func SignHMACSHA256(secret, msg []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(msg)
	return m.Sum(nil)
}

// VerifyHMACSHA256 reports whether sig is the raw (decoded) HMAC-SHA256 of
// msg under secret, in constant time. Compute msg from the raw request
// bytes, never from re-encoded JSON; an empty secret never verifies.
func VerifyHMACSHA256(secret, msg, sig []byte) bool {
	if len(secret) == 0 || len(sig) != sha256.Size {
		return false
	}
	return hmac.Equal(SignHMACSHA256(secret, msg), sig)
}
