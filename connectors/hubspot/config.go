package hubspot

import (
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/configure"
	sdkphone "github.com/parley-hub/parley/sdk/phone"
)

// Config keys. Each is documented once, in configFields, which drives Spec.
const (
	keyClientSecret   = "client_secret"
	keyWebhookURL     = "webhook_url"
	keyAccessToken    = "access_token"
	keyAPIBaseURL     = "api_base_url"
	keyDefaultRegion  = "default_region"
	keyRequestTimeout = "request_timeout"
)

// Defaults, declared in configFields and applied by parseConfig.
const (
	defaultAPIBaseURL     = "https://api.hubapi.com"
	defaultRequestTimeout = 10 * time.Second
)

var configFields = []sdk.Field{
	{
		Name:        keyClientSecret,
		Description: "The HubSpot app's client secret. Webhooks are signed with it (X-HubSpot-Signature-v3).",
		Example:     "5f1a0e3c-1234-4c2b-9a7e-0123456789ab",
		Required:    true,
		Secret:      true,
	},
	{
		Name:        keyWebhookURL,
		Description: "The public URL exactly as registered as the app's webhook target URL in HubSpot, query included. HubSpot signs the URL it called, and behind a proxy the request's own host cannot be trusted to rebuild it.",
		Example:     "https://parley.example.com/webhooks/hubspot",
		Required:    true,
	},
	{
		Name:        keyAccessToken,
		Description: "A private-app (or OAuth) access token with the crm.objects.contacts.read and crm.objects.contacts.write scopes, sent as a Bearer token. Webhooks carry only object ids, so the connector reads each contact to fill the event's contact; the actions use it too.",
		Example:     "pat-na1-00000000-0000-0000-0000-000000000000",
		Required:    true,
		Secret:      true,
	},
	{
		Name:        keyAPIBaseURL,
		Description: "Base URL of the HubSpot API. Change it only to point at a proxy or a test server.",
		Default:     defaultAPIBaseURL,
		Example:     "http://127.0.0.1:8089",
	},
	{
		Name:        keyDefaultRegion,
		Description: "ISO 3166-1 alpha-2 region used to read contact phones written without a +country code. Empty means such numbers are refused (reported as a skip), never guessed.",
		Example:     "US",
	},
	{
		Name:        keyRequestTimeout,
		Description: "Timeout of each HubSpot API request (a Go duration).",
		Default:     defaultRequestTimeout.String(),
		Example:     "5s",
	},
}

// config is the validated configuration.
type config struct {
	secret         []byte
	webhookURL     string
	accessToken    string
	apiBase        string
	defaultRegion  string
	requestTimeout time.Duration
}

// regionCheck accepts the regions phone numbers can be read in.
var regionCheck = configure.Check{OK: sdkphone.ValidRegion, Want: "an ISO 3166-1 alpha-2 region"}

// parseConfig applies defaults and validates, reporting every problem at
// once as *sdk.ConfigError values (secrets are never echoed).
func parseConfig(c sdk.Config) (*config, error) {
	p := configure.NewParser(c, configFields)
	cfg := &config{
		secret:         p.Secret(keyClientSecret),
		accessToken:    p.String(keyAccessToken),
		webhookURL:     p.String(keyWebhookURL, configure.HTTPURL),
		apiBase:        strings.TrimRight(p.String(keyAPIBaseURL, configure.HTTPURL), "/"),
		defaultRegion:  strings.ToUpper(p.String(keyDefaultRegion, regionCheck)),
		requestTimeout: p.Duration(keyRequestTimeout),
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}
