package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Scope names what an API key may do. Each route of the route table
// (routes.go) needs one, and ScopeAdmin grants them all. The names are
// those of api.keys[].scopes in the config.
type Scope string

// The scopes.
const (
	ScopeEventsWrite    Scope = "events:write"    // POST /v1/events
	ScopeMessagesSend   Scope = "messages:send"   // POST /v1/messages
	ScopeMessagesRead   Scope = "messages:read"   // GET /v1/messages[/{id}]
	ScopeContactsRead   Scope = "contacts:read"   // GET /v1/contacts/..., GET /v1/handoffs
	ScopeContactsWrite  Scope = "contacts:write"  // consent, handoff, handback, claim
	ScopeConnectorsRead Scope = "connectors:read" // GET /v1/connectors[/{name}]
	ScopeDLQRead        Scope = "dlq:read"        // GET /v1/dlq[/{id}]
	ScopeDLQReplay      Scope = "dlq:replay"      // POST /v1/dlq/{id}/replay
	ScopeAdmin          Scope = "admin"           // every scope
)

// Scopes lists every scope.
var Scopes = []Scope{
	ScopeEventsWrite, ScopeMessagesSend, ScopeMessagesRead, ScopeContactsRead, ScopeContactsWrite,
	ScopeConnectorsRead, ScopeDLQRead, ScopeDLQReplay, ScopeAdmin,
}

// Access levels of a route that are not scopes.
const (
	// public routes need no API key: health checks, metrics, and the
	// webhook receivers, whose senders sign their requests.
	public Scope = ""
	// anyKey routes need a valid key and no particular scope.
	anyKey Scope = "*"
)

// Key is an API key the API accepts. Only its hash is known.
type Key struct {
	// Name identifies the key in logs and errors; never the key itself.
	Name string
	// Hash is "sha256:" and the 64 lowercase hex digits of the key's SHA-256.
	Hash string
	// Scopes are what the key may do.
	Scopes []Scope
	// NotBefore and ExpiresAt bound when the key is accepted: from NotBefore
	// until just before ExpiresAt. A zero time is no bound. Rotating a key is
	// adding the new one and giving the old one an ExpiresAt.
	NotBefore, ExpiresAt time.Time
}

// keyring holds the accepted keys. It is read-only after newKeyring.
type keyring struct {
	keys []ringKey
	now  func() time.Time
}

type ringKey struct {
	Key
	sum []byte
}

// allows reports whether the key has scope, directly or through admin.
func (k *ringKey) allows(scope Scope) bool {
	return scope == anyKey || slices.Contains(k.Scopes, scope) || slices.Contains(k.Scopes, ScopeAdmin)
}

func newKeyring(keys []Key, now func() time.Time) (*keyring, error) {
	ring := &keyring{now: now}
	for i, k := range keys {
		b, err := hex.DecodeString(strings.TrimPrefix(k.Hash, "sha256:"))
		if err != nil || !strings.HasPrefix(k.Hash, "sha256:") || len(b) != sha256.Size {
			return nil, fmt.Errorf("api key %d (%s): hash: want sha256:<64 hex digits>", i, k.Name)
		}
		for _, s := range k.Scopes {
			if !slices.Contains(Scopes, s) {
				return nil, fmt.Errorf("api key %d (%s): unknown scope %q", i, k.Name, s)
			}
		}
		ring.keys = append(ring.keys, ringKey{Key: k, sum: b})
	}
	return ring, nil
}

// authError is a refused request: 401 or 403, and what to say.
type authError struct {
	status int
	msg    string
	// challenge is the WWW-Authenticate header.
	challenge string
	scope     Scope // the scope a 403 needs
}

// authenticate finds the key the request's bearer token hashes to and
// checks it is valid now and allows scope. It compares the token's hash
// with every key in constant time, so timing reveals nothing about the keys.
func (ring *keyring) authenticate(r *http.Request, scope Scope, route string) (*ringKey, *authError) {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if h == "" || !ok || token == "" {
		return nil, &authError{status: http.StatusUnauthorized, challenge: `Bearer realm="parley"`,
			msg: "missing API key: send Authorization: Bearer <key>"}
	}
	sum := sha256.Sum256([]byte(token))
	var found *ringKey
	for i := range ring.keys {
		if subtle.ConstantTimeCompare(sum[:], ring.keys[i].sum) == 1 && found == nil {
			found = &ring.keys[i]
		}
	}
	const invalid = `Bearer realm="parley", error="invalid_token", error_description=`
	if found == nil {
		return nil, &authError{status: http.StatusUnauthorized, challenge: invalid + `"unknown API key"`, msg: "invalid API key"}
	}
	now := ring.now()
	if !found.ExpiresAt.IsZero() && !now.Before(found.ExpiresAt) {
		return nil, &authError{status: http.StatusUnauthorized, challenge: invalid + `"API key expired"`,
			msg: fmt.Sprintf("API key %q expired at %s; use its replacement", found.Name, found.ExpiresAt.UTC().Format(time.RFC3339))}
	}
	if !found.NotBefore.IsZero() && now.Before(found.NotBefore) {
		return nil, &authError{status: http.StatusUnauthorized, challenge: invalid + `"API key not valid yet"`,
			msg: fmt.Sprintf("API key %q is not valid before %s", found.Name, found.NotBefore.UTC().Format(time.RFC3339))}
	}
	if !found.allows(scope) {
		return found, &authError{status: http.StatusForbidden, scope: scope,
			challenge: fmt.Sprintf(`Bearer realm="parley", error="insufficient_scope", scope=%q`, scope),
			msg:       fmt.Sprintf("API key %q lacks scope %s, which %s needs", found.Name, scope, route)}
	}
	return found, nil
}

// writeAuthError answers a refused request.
func writeAuthError(w http.ResponseWriter, e *authError) {
	w.Header().Set("WWW-Authenticate", e.challenge)
	var b ErrorBody
	b.Error.Message, b.Error.Scope = e.msg, string(e.scope)
	if e.status == http.StatusForbidden {
		b.Error.Code = "insufficient_scope"
	} else {
		b.Error.Code, b.Error.Field = "unauthorized", "Authorization"
	}
	writeJSON(w, e.status, b)
}
