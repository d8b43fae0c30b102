package config

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

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

// APIKeyHashes returns every accepted API key: those in api.keys, then the one
// from PARLEY_API_KEY (named after the variable), hashed in memory.
func (c *Config) APIKeyHashes() []KeyHash {
	keys := make([]KeyHash, 0, len(c.API.Keys)+1)
	keys = append(keys, c.API.Keys...)
	if c.APIKeyFromEnv != "" {
		keys = append(keys, KeyHash{Name: EnvAPIKey, Hash: HashAPIKey(c.APIKeyFromEnv.Reveal())})
	}
	return keys
}
