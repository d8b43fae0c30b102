package shopify

import (
	sdkphone "github.com/parley-hub/parley/sdk/phone"

	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// Config keys. Each is documented once, in configFields, which drives Spec.
const (
	keyClientSecret         = "client_secret"
	keyPreviousClientSecret = "previous_client_secret"
	keyDefaultRegion        = "default_region"
	keyAbandonedAfter       = "abandoned_after"
	keyMaxPending           = "max_pending_checkouts"
)

// Defaults, applied in one place (parseConfig).
const (
	defaultAbandonedAfter = time.Hour
	defaultMaxPending     = 10000
)

var configFields = []sdk.Field{
	{
		Name:        keyClientSecret,
		Description: "The Shopify app's client secret (API secret key). Webhooks are signed with it: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(client secret, raw body)).",
		Example:     "shpss_0123456789abcdef0123456789abcdef",
		Required:    true,
		Secret:      true,
	},
	{
		Name:        keyPreviousClientSecret,
		Description: "The client secret before a rotation. Shopify may still sign with it for about an hour after you rotate, so signatures made with either secret are accepted while it is set. Remove it once the rotation is over.",
		Example:     "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",
		Secret:      true,
	},
	{
		Name:        keyDefaultRegion,
		Description: "ISO 3166-1 alpha-2 region used to read phone numbers written without a +country code when the payload has no address country_code to use instead. Empty means such numbers are refused (the event is skipped with the reason), never guessed.",
		Example:     "US",
	},
	{
		Name:        keyAbandonedAfter,
		Description: "How long a checkout with a phone and no completed_at must stay untouched before cart.abandoned is emitted (a Go duration).",
		Default:     defaultAbandonedAfter.String(),
		Example:     "3h",
	},
	{
		Name:        keyMaxPending,
		Description: "The most checkouts held in memory waiting to become abandoned. A checkout that arrives when the limit is reached still gives checkout.updated but is not tracked (the webhook result records a skip).",
		Default:     strconv.Itoa(defaultMaxPending),
		Example:     "50000",
	},
}

// config is the validated configuration.
type config struct {
	secrets        [][]byte // current first, then previous
	defaultRegion  string
	abandonedAfter time.Duration
	maxPending     int
}

// parseConfig applies defaults and validates, reporting every problem at
// once as *sdk.ConfigError values naming the key and the bad value (secrets
// are never echoed). The SDK has usually applied the Spec's defaults
// already; they are applied here too so that the connector is correct when
// called directly.
func parseConfig(c sdk.Config) (*config, error) {
	var errs []error
	cfg := &config{abandonedAfter: defaultAbandonedAfter, maxPending: defaultMaxPending}

	secret := c.Get(keyClientSecret)
	if strings.TrimSpace(secret) == "" {
		errs = append(errs, &sdk.ConfigError{Field: keyClientSecret, Problem: "is required"})
	} else {
		cfg.secrets = append(cfg.secrets, []byte(secret))
	}
	if prev := c.Get(keyPreviousClientSecret); strings.TrimSpace(prev) != "" {
		cfg.secrets = append(cfg.secrets, []byte(prev))
	}
	if r := strings.TrimSpace(c.Get(keyDefaultRegion)); r != "" {
		if !sdkphone.ValidRegion(r) {
			errs = append(errs, &sdk.ConfigError{Field: keyDefaultRegion, Problem: fmt.Sprintf("unknown region %q (want an ISO 3166-1 alpha-2 code such as \"US\")", r)})
		}
		cfg.defaultRegion = strings.ToUpper(r)
	}
	if v := strings.TrimSpace(c.Get(keyAbandonedAfter)); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			errs = append(errs, &sdk.ConfigError{Field: keyAbandonedAfter, Problem: fmt.Sprintf("%q is not a duration such as \"1h\"", v)})
		case d <= 0:
			errs = append(errs, &sdk.ConfigError{Field: keyAbandonedAfter, Problem: fmt.Sprintf("%q must be positive", v)})
		default:
			cfg.abandonedAfter = d
		}
	}
	if v := strings.TrimSpace(c.Get(keyMaxPending)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, &sdk.ConfigError{Field: keyMaxPending, Problem: fmt.Sprintf("%q must be a positive integer", v)})
		} else {
			cfg.maxPending = n
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cfg, nil
}
