package webhook

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// verify checks the request's signature over the raw body (and timestamp,
// when configured) against every accepted secret, and refuses a timestamp
// outside the tolerance as a possible replay. It runs before the body is
// parsed; every failure wraps sdk.ErrUnauthorized.
func (cfg *config) verify(req sdk.WebhookRequest, now time.Time) error {
	raw := strings.TrimSpace(req.Header.Get(cfg.sigHeader))
	if raw == "" {
		return fmt.Errorf("%w: no %s header", sdk.ErrUnauthorized, cfg.sigHeader)
	}
	if cfg.sigPrefix != "" {
		s, ok := strings.CutPrefix(raw, cfg.sigPrefix)
		if !ok {
			return fmt.Errorf("%w: %s header does not start with %q", sdk.ErrUnauthorized, cfg.sigHeader, cfg.sigPrefix)
		}
		raw = s
	}
	sig, err := cfg.decodeSignature(raw)
	if err != nil {
		return fmt.Errorf("%w: %s header is not %s: %v", sdk.ErrUnauthorized, cfg.sigHeader, cfg.sigEncoding, err)
	}
	msg := req.Body
	if cfg.tsHeader != "" {
		ts := strings.TrimSpace(req.Header.Get(cfg.tsHeader))
		if ts == "" {
			return fmt.Errorf("%w: no %s header", sdk.ErrUnauthorized, cfg.tsHeader)
		}
		sent, err := cfg.parseTimestamp(ts)
		if err != nil {
			return fmt.Errorf("%w: %s header: %v", sdk.ErrUnauthorized, cfg.tsHeader, err)
		}
		if skew := now.Sub(sent).Abs(); skew > cfg.tolerance {
			return fmt.Errorf("%w: %s is %s away from the time of receipt (tolerance %s): stale or replayed",
				sdk.ErrUnauthorized, cfg.tsHeader, skew.Round(time.Second), cfg.tolerance)
		}
		msg = make([]byte, 0, len(ts)+len(cfg.tsSep)+len(req.Body))
		msg = append(append(append(msg, ts...), cfg.tsSep...), req.Body...)
	}
	for _, secret := range cfg.secrets {
		if sdk.VerifyHMACSHA256(secret, msg, sig) {
			return nil
		}
	}
	return fmt.Errorf("%w: signature in %s does not match", sdk.ErrUnauthorized, cfg.sigHeader)
}

func (cfg *config) decodeSignature(s string) ([]byte, error) {
	if cfg.sigEncoding == encodingHex {
		return hex.DecodeString(s)
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func (cfg *config) parseTimestamp(s string) (time.Time, error) {
	switch cfg.tsFormat {
	case formatRFC3339:
		return time.Parse(time.RFC3339Nano, s)
	case formatUnixMillis:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not Unix milliseconds", s)
		}
		return time.UnixMilli(n), nil
	default:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not Unix seconds", s)
		}
		return time.Unix(n, 0), nil
	}
}
