package zendesk

import (
	sdkphone "github.com/parley-hub/parley/sdk/phone"

	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
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

// Defaults, applied in one place (parseConfig).
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

// parseConfig applies defaults and validates, reporting every problem at
// once as *sdk.ConfigError values (secrets are never echoed).
func parseConfig(c sdk.Config) (*config, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &sdk.ConfigError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	cfg := &config{maxClockSkew: defaultMaxClockSkew, requestTimeout: defaultRequestTimeout, defaultTags: splitTags(defaultTags)}

	if s := c.Get(keySigningSecret); strings.TrimSpace(s) == "" {
		bad(keySigningSecret, "is required")
	} else {
		cfg.secret = []byte(s)
	}
	if s := strings.TrimSpace(c.Get(keyAPIToken)); s == "" {
		bad(keyAPIToken, "is required")
	} else {
		cfg.apiToken = s
	}
	if s := strings.TrimSpace(c.Get(keyEmail)); s == "" {
		bad(keyEmail, "is required")
	} else if !strings.Contains(s, "@") {
		bad(keyEmail, "%q is not an email address", s)
	} else {
		cfg.email = s
	}
	sub := strings.ToLower(strings.TrimSpace(c.Get(keySubdomain)))
	switch {
	case sub == "":
		bad(keySubdomain, "is required")
	case !subdomainPattern.MatchString(sub):
		bad(keySubdomain, "%q is not a subdomain (for https://acme.zendesk.com write \"acme\")", sub)
	default:
		cfg.apiBase = "https://" + sub + ".zendesk.com"
	}
	if s := strings.TrimSpace(c.Get(keyAPIBaseURL)); s != "" {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(keyAPIBaseURL, "%q is not an absolute http(s) URL", s)
		} else {
			cfg.apiBase = strings.TrimRight(s, "/")
		}
	}
	if r := strings.TrimSpace(c.Get(keyDefaultRegion)); r != "" {
		if !sdkphone.ValidRegion(r) {
			bad(keyDefaultRegion, "unknown region %q (want an ISO 3166-1 alpha-2 code such as \"BR\")", r)
		}
		cfg.defaultRegion = strings.ToUpper(r)
	}
	if v, ok := c[keyDefaultTags]; ok {
		cfg.defaultTags = splitTags(v)
	}
	if v := strings.TrimSpace(c.Get(keyMaxClockSkew)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad(keyMaxClockSkew, "%q is not a positive duration such as \"5m\"", v)
		} else {
			cfg.maxClockSkew = d
		}
	}
	if v := strings.TrimSpace(c.Get(keyAcceptTests)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(keyAcceptTests, "%q is not true or false", v)
		}
		cfg.acceptTests = b
	}
	if v := strings.TrimSpace(c.Get(keyRequestTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad(keyRequestTimeout, "%q is not a positive duration such as \"10s\"", v)
		} else {
			cfg.requestTimeout = d
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cfg, nil
}

// splitTags reads a comma-separated list, dropping blanks. Zendesk tags
// are lower-case words; spaces would split one into several.
func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			out = append(out, strings.ReplaceAll(t, " ", "_"))
		}
	}
	return out
}
