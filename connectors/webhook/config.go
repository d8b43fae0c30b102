package webhook

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/parley-hub/parley/sdk"
)

// Config keys; each is described once, in configFields.
const (
	keySecret           = "secret"
	keyPreviousSecret   = "previous_secret"
	keySignatureHeader  = "signature_header"
	keySignatureEnc     = "signature_encoding"
	keySignaturePrefix  = "signature_prefix"
	keyTimestampHeader  = "timestamp_header"
	keyTimestampFormat  = "timestamp_format"
	keyTimestampSep     = "timestamp_separator"
	keyTolerance        = "timestamp_tolerance"
	keySource           = "source"
	keyType             = "type"
	keyTypePath         = "type_path"
	keyIDPath           = "id_path"
	keyDeliveryHeader   = "delivery_id_header"
	keyOccurredAtPath   = "occurred_at_path"
	keyPhonePath        = "contact_phone_path"
	keyNamePath         = "contact_name_path"
	keyEmailPath        = "contact_email_path"
	keyDefaultRegion    = "default_region"
	keyDataPath         = "data_path"
	encodingHex         = "hex"
	encodingBase64      = "base64"
	formatUnix          = "unix"
	formatUnixMillis    = "unix_ms"
	formatRFC3339       = "rfc3339"
	defaultSigHeader    = "X-Signature"
	defaultTolerance    = "5m"
	defaultSource       = "webhook"
	defaultType         = "webhook.received"
	defaultSigEncoding  = encodingHex
	defaultTSFormat     = formatUnix
	maxTimestampSkewCap = 24 * time.Hour
)

var configFields = []sdk.Field{
	{Name: keySecret, Required: true, Secret: true, Example: "whsec_3f9a...",
		Description: "HMAC-SHA256 key the sender signs the raw request body with."},
	{Name: keyPreviousSecret, Secret: true,
		Description: "A second accepted key, for rotating the secret without dropping deliveries."},
	{Name: keySignatureHeader, Default: defaultSigHeader, Example: "X-Hub-Signature-256",
		Description: "Header carrying the signature (case-insensitive)."},
	{Name: keySignatureEnc, Default: defaultSigEncoding, Example: encodingBase64,
		Description: "How the signature is encoded: hex or base64."},
	{Name: keySignaturePrefix, Example: "sha256=",
		Description: "Prefix before the encoded signature in the header, removed before decoding."},
	{Name: keyTimestampHeader, Example: "X-Timestamp",
		Description: "Header carrying the time of sending; when set, the signed message is timestamp + timestamp_separator + body and stale requests are refused as replays."},
	{Name: keyTimestampFormat, Default: defaultTSFormat, Example: formatRFC3339,
		Description: "Format of the timestamp header: unix (seconds), unix_ms or rfc3339."},
	{Name: keyTimestampSep, Example: ".",
		Description: "Text between the timestamp and the body in the signed message; empty by default (direct concatenation)."},
	{Name: keyTolerance, Default: defaultTolerance, Example: "2m",
		Description: "How far the timestamp may be from the time of receipt, as a Go duration (at most 24h)."},
	{Name: keySource, Default: defaultSource, Example: "billing",
		Description: "The events' source: the name of the sending system."},
	{Name: keyType, Default: defaultType, Example: "invoice.paid",
		Description: "The events' type, when type_path is not set."},
	{Name: keyTypePath, Example: "event",
		Description: "Dotted path in the body of the event's type, such as event or meta.type; overrides type."},
	{Name: keyIDPath, Example: "data.id",
		Description: "Dotted path in the body of the event's id (numeric segments index arrays); by default the id is the SHA-256 of the body."},
	{Name: keyDeliveryHeader, Example: "X-Delivery-Id",
		Description: "Header carrying the sender's delivery id, used for the delivery dedupe key; by default the key is source + event id."},
	{Name: keyOccurredAtPath, Example: "created_at",
		Description: "Dotted path of when the event happened (RFC 3339 or Unix seconds); by default the time of receipt."},
	{Name: keyPhonePath, Example: "customer.phone",
		Description: "Dotted path of the contact's phone; a number that cannot be read as E.164 skips the event with a reason."},
	{Name: keyNamePath, Example: "customer.name",
		Description: "Dotted path of the contact's name."},
	{Name: keyEmailPath, Example: "customer.email",
		Description: "Dotted path of the contact's email."},
	{Name: keyDefaultRegion, Example: "BR",
		Description: "ISO 3166-1 region for phones written without a country code; by default such phones are skipped."},
	{Name: keyDataPath, Example: "data",
		Description: "Dotted path of the JSON object that becomes the event's data; the whole body by default."},
}

// config is the parsed, validated form of sdk.Config.
type config struct {
	secrets        [][]byte
	sigHeader      string
	sigEncoding    string
	sigPrefix      string
	tsHeader       string
	tsFormat       string
	tsSep          string
	tolerance      time.Duration
	source, typ    string
	typePath       string
	idPath         string
	deliveryHeader string
	occurredAtPath string
	phonePath      string
	namePath       string
	emailPath      string
	defaultRegion  string
	dataPath       string
}

// parseConfig checks the values the SDK could not (encodings, durations,
// regions) and reports every problem at once.
func parseConfig(c sdk.Config) (*config, error) {
	var errs []error
	bad := func(field, problem string) { errs = append(errs, &sdk.ConfigError{Field: field, Problem: problem}) }
	cfg := &config{
		sigHeader:      c.Get(keySignatureHeader),
		sigEncoding:    strings.ToLower(c.Get(keySignatureEnc)),
		sigPrefix:      c.Get(keySignaturePrefix),
		tsHeader:       c.Get(keyTimestampHeader),
		tsFormat:       strings.ToLower(c.Get(keyTimestampFormat)),
		tsSep:          c.Get(keyTimestampSep),
		source:         c.Get(keySource),
		typ:            c.Get(keyType),
		typePath:       c.Get(keyTypePath),
		idPath:         c.Get(keyIDPath),
		deliveryHeader: c.Get(keyDeliveryHeader),
		occurredAtPath: c.Get(keyOccurredAtPath),
		phonePath:      c.Get(keyPhonePath),
		namePath:       c.Get(keyNamePath),
		emailPath:      c.Get(keyEmailPath),
		defaultRegion:  strings.ToUpper(c.Get(keyDefaultRegion)),
		dataPath:       c.Get(keyDataPath),
	}
	for _, k := range []string{keySecret, keyPreviousSecret} {
		if s := c.Get(k); s != "" {
			cfg.secrets = append(cfg.secrets, []byte(s))
		}
	}
	if len(cfg.secrets) == 0 {
		bad(keySecret, "is required")
	}
	if cfg.sigHeader == "" {
		cfg.sigHeader = defaultSigHeader
	}
	if cfg.sigEncoding == "" {
		cfg.sigEncoding = defaultSigEncoding
	}
	if cfg.sigEncoding != encodingHex && cfg.sigEncoding != encodingBase64 {
		bad(keySignatureEnc, fmt.Sprintf("%q is not hex or base64", cfg.sigEncoding))
	}
	if cfg.tsFormat == "" {
		cfg.tsFormat = defaultTSFormat
	}
	switch cfg.tsFormat {
	case formatUnix, formatUnixMillis, formatRFC3339:
	default:
		bad(keyTimestampFormat, fmt.Sprintf("%q is not unix, unix_ms or rfc3339", cfg.tsFormat))
	}
	tol := c.Get(keyTolerance)
	if tol == "" {
		tol = defaultTolerance
	}
	d, err := time.ParseDuration(tol)
	switch {
	case err != nil:
		bad(keyTolerance, fmt.Sprintf("%q is not a duration such as 5m", tol))
	case d <= 0 || d > maxTimestampSkewCap:
		bad(keyTolerance, fmt.Sprintf("%s is not between 0 and 24h", d))
	}
	cfg.tolerance = d
	if cfg.source == "" {
		cfg.source = defaultSource
	}
	if cfg.typ == "" {
		cfg.typ = defaultType
	}
	if cfg.defaultRegion != "" && !phonenumbers.GetSupportedRegions()[cfg.defaultRegion] {
		bad(keyDefaultRegion, fmt.Sprintf("%q is not an ISO 3166-1 region such as BR", cfg.defaultRegion))
	}
	for _, p := range []struct{ key, path string }{
		{keyTypePath, cfg.typePath}, {keyIDPath, cfg.idPath}, {keyOccurredAtPath, cfg.occurredAtPath},
		{keyPhonePath, cfg.phonePath}, {keyNamePath, cfg.namePath}, {keyEmailPath, cfg.emailPath}, {keyDataPath, cfg.dataPath},
	} {
		if err := checkPath(p.path); err != nil {
			bad(p.key, err.Error())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cfg, nil
}
