package shopify

import (
	"strconv"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/configure"
	sdkphone "github.com/parley-hub/parley/sdk/phone"
)

// Config keys. Each is documented once, in configFields, which drives Spec.
const (
	keyClientSecret         = "client_secret"
	keyPreviousClientSecret = "previous_client_secret"
	keyDefaultRegion        = "default_region"
	keyAbandonedAfter       = "abandoned_after"
	keyMaxPending           = "max_pending_checkouts"
)

// Defaults, declared in configFields and applied by parseConfig.
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

// regionCheck accepts the regions phone numbers can be read in.
var regionCheck = configure.Check{OK: sdkphone.ValidRegion, Want: "an ISO 3166-1 alpha-2 region"}

// parseConfig applies defaults and validates, reporting every problem at
// once as *sdk.ConfigError values naming the key and the bad value (secrets
// are never echoed). The SDK has usually applied the Spec's defaults
// already; they are applied here too so that the connector is correct when
// called directly.
func parseConfig(c sdk.Config) (*config, error) {
	p := configure.NewParser(c, configFields)
	cfg := &config{
		secrets:        [][]byte{p.Secret(keyClientSecret)},
		defaultRegion:  strings.ToUpper(p.String(keyDefaultRegion, regionCheck)),
		abandonedAfter: p.Duration(keyAbandonedAfter),
		maxPending:     p.Int(keyMaxPending),
	}
	if prev := p.Secret(keyPreviousClientSecret); prev != nil {
		cfg.secrets = append(cfg.secrets, prev)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}
