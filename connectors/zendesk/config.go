package zendesk

import (
	"regexp"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/configure"
	sdkphone "github.com/parley-hub/parley/sdk/phone"
)

// Config keys. Each is documented once, in configFields, which drives Spec.
const (
	keySigningSecret  = "signing_secret"
	keySubdomain      = "subdomain"
	keyEmail          = "email"
	keyAPIToken       = "api_token"
	keyAPIBaseURL     = "api_base_url"
	keyDefaultRegion  = "default_region"
	keyDefaultTags    = "default_tags"
	keyMaxClockSkew   = "max_clock_skew"
	keyAcceptTests    = "accept_test_deliveries"
	keyRequestTimeout = "request_timeout"
)

// Defaults, declared in configFields and applied by parseConfig.
const (
	defaultTags           = "whatsapp"
	defaultMaxClockSkew   = 5 * time.Minute
	defaultRequestTimeout = 10 * time.Second
)

var configFields = []sdk.Field{
	{
		Name:        keySigningSecret,
		Description: "The webhook's signing secret (GET /api/v2/webhooks/{id}/signing_secret, or the webhook's page in Admin Center). Deliveries are signed with it: base64(HMAC-SHA256(secret, timestamp + body)).",
		Example:     "dGhpc19pc19ub3RfYV9yZWFsX3NlY3JldA==",
		Required:    true,
		Secret:      true,
	},
	{
		Name:        keySubdomain,
		Description: "The Zendesk account's subdomain: \"acme\" for https://acme.zendesk.com.",
		Example:     "acme",
		Required:    true,
	},
	{
		Name:        keyEmail,
		Description: "Email of the agent whose API token the connector uses (Basic auth as \"{email}/token:{api_token}\"). Tickets and comments it creates are by this agent unless an author is given.",
		Example:     "parley-bot@acme.example",
		Required:    true,
	},
	{
		Name:        keyAPIToken,
		Description: "A Zendesk API token (Admin Center > Apps and integrations > Zendesk API).",
		Example:     "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv",
		Required:    true,
		Secret:      true,
	},
	{
		Name:        keyAPIBaseURL,
		Description: "Base URL of the Zendesk API; empty means https://{subdomain}.zendesk.com. Set it only for a proxy or a test server.",
		Example:     "http://127.0.0.1:8090",
	},
	{
		Name:        keyDefaultRegion,
		Description: "ISO 3166-1 alpha-2 region used to read requester phones written without a +country code. Empty means such numbers are refused (the event is skipped with the reason), never guessed.",
		Example:     "BR",
	},
	{
		Name:        keyDefaultTags,
		Description: "Comma-separated tags added to every ticket create_ticket makes.",
		Default:     defaultTags,
		Example:     "whatsapp,parley",
	},
	{
		Name:        keyMaxClockSkew,
		Description: "How far X-Zendesk-Webhook-Signature-Timestamp may be from the hub's clock before a delivery is refused as a replay (Zendesk prescribes no window).",
		Default:     defaultMaxClockSkew.String(),
		Example:     "10m",
	},
	{
		Name:        keyAcceptTests,
		Description: "Whether to answer 200 (with a skip, and no events) to deliveries signed with Zendesk's public test secret, sent by the webhook builder's \"Test webhook\" before the webhook exists. Such deliveries never produce events.",
		Default:     "false",
		Example:     "true",
	},
	{
		Name:        keyRequestTimeout,
		Description: "Timeout of each Zendesk API request (a Go duration).",
		Default:     defaultRequestTimeout.String(),
		Example:     "5s",
	},
}

var subdomainPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// config is the validated configuration.
type config struct {
	secret         []byte
	apiBase        string
	email          string
	apiToken       string
	defaultRegion  string
	defaultTags    []string
	maxClockSkew   time.Duration
	acceptTests    bool
	requestTimeout time.Duration
}

// Checks of config values.
var (
	emailCheck     = configure.Check{OK: func(v string) bool { return strings.Contains(v, "@") }, Want: "an email address"}
	subdomainCheck = configure.Check{OK: func(v string) bool { return subdomainPattern.MatchString(strings.ToLower(v)) }, Want: "a subdomain"}
	regionCheck    = configure.Check{OK: sdkphone.ValidRegion, Want: "an ISO 3166-1 alpha-2 region"}
)

// parseConfig applies defaults and validates, reporting every problem at
// once as *sdk.ConfigError values (secrets are never echoed).
func parseConfig(c sdk.Config) (*config, error) {
	p := configure.NewParser(c, configFields)
	cfg := &config{
		secret:   p.Secret(keySigningSecret),
		apiToken: p.String(keyAPIToken),
		email:    p.String(keyEmail, emailCheck),
	}
	if sub := strings.ToLower(p.String(keySubdomain, subdomainCheck)); sub != "" {
		cfg.apiBase = "https://" + sub + ".zendesk.com"
	}
	if base := p.String(keyAPIBaseURL, configure.HTTPURL); base != "" {
		cfg.apiBase = strings.TrimRight(base, "/")
	}
	cfg.defaultRegion = strings.ToUpper(p.String(keyDefaultRegion, regionCheck))
	cfg.defaultTags = normalizeTags(strings.Split(p.String(keyDefaultTags), ","))
	cfg.maxClockSkew = p.Duration(keyMaxClockSkew)
	cfg.acceptTests = p.Bool(keyAcceptTests)
	cfg.requestTimeout = p.Duration(keyRequestTimeout)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// normalizeTags lower-cases tags and drops blank ones. Zendesk tags are
// lower-case words; spaces would split one into several.
func normalizeTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			out = append(out, strings.ReplaceAll(t, " ", "_"))
		}
	}
	return out
}
