package config

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"
)

// ScopeAdmin is the API key scope that grants every other scope. The key
// from PARLEY_API_KEY and the sandbox key have it.
const ScopeAdmin = "admin"

// HashAPIKey returns the form in which an API key is stored and compared:
// "sha256:" followed by the lowercase hex SHA-256 of the key.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Matches reports, in constant time, whether key hashes to h.Hash.
func (h KeyHash) Matches(key string) bool {
	return subtle.ConstantTimeCompare([]byte(HashAPIKey(key)), []byte(h.Hash)) == 1
}

// Validity returns the times between which the key is accepted: from
// notBefore (inclusive) until expiresAt (exclusive). A zero time is no bound.
// Validate has refused values that do not parse; such a value is no bound.
func (h KeyHash) Validity() (notBefore, expiresAt time.Time) {
	notBefore, _ = time.Parse(time.RFC3339, h.NotBefore)
	expiresAt, _ = time.Parse(time.RFC3339, h.ExpiresAt)
	return notBefore, expiresAt
}

// APIKeyHashes returns every accepted API key: those in api.keys, then the one
// from PARLEY_API_KEY (named after the variable, with scope admin), hashed in
// memory.
func (c *Config) APIKeyHashes() []KeyHash {
	keys := make([]KeyHash, 0, len(c.API.Keys)+1)
	keys = append(keys, c.API.Keys...)
	if c.APIKeyFromEnv != "" {
		keys = append(keys, KeyHash{Name: EnvAPIKey, Hash: HashAPIKey(c.APIKeyFromEnv.Reveal()), Scopes: []string{ScopeAdmin}})
	}
	return keys
}

// apiKey checks what the tags of one api.keys item cannot: it has scopes,
// and its validity period is not empty.
func (v *validator) apiKey(path string, k KeyHash) {
	if len(k.Scopes) == 0 {
		v.add(path+".scopes", k.Scopes, ErrRequired, "required: list what the key may do, e.g. [events:write] or [admin] for everything")
	}
	nb, ex := k.Validity()
	if !nb.IsZero() && !ex.IsZero() && !ex.After(nb) {
		v.add(path+".expires_at", k.ExpiresAt, nil, "must be after not_before (%s); got %s", k.NotBefore, show(k.ExpiresAt, false))
	}
}

// checkTimestamp returns why s is not an RFC 3339 time, or "".
func checkTimestamp(s string) string {
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return "is not an RFC 3339 time such as 2026-07-01T00:00:00Z"
	}
	return ""
}
