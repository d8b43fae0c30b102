package emulator

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by New to zero-valued Config fields.
const (
	DefaultAddr                = "127.0.0.1:8089"
	DefaultPhoneNumberID       = "106540352242922"
	DefaultDisplayPhoneNumber  = "15550783881"
	DefaultWABAID              = "102290129340398"
	DefaultThroughput          = 80
	DefaultThrottleHTTPStatus  = http.StatusBadRequest
	DefaultPairInterval        = 6 * time.Second
	DefaultPairBurst           = 45
	DefaultStatusLatency       = 20 * time.Millisecond
	DefaultReadAfter           = time.Second
	DefaultWebhookBatch        = 1000
	DefaultWebhookBatchWindow  = 10 * time.Millisecond
	DefaultWebhookConcurrency  = 1
	DefaultWebhookTimeout      = 10 * time.Second
	DefaultWebhookQueueLimit   = 1_000_000
	DefaultRedeliveryInitial   = 500 * time.Millisecond
	DefaultRedeliveryMax       = time.Minute
	DefaultTemplateReviewDelay = time.Second
	DefaultFaultHang           = 30 * time.Second
	DefaultMessageLogSize      = 100_000
)

// Unlimited, as Config.Throughput, turns the per-number throughput limit off
// (for benchmarks).
const Unlimited = -1

// Config configures an Emulator. Zero values take the documented defaults;
// New applies them in one place and then validates the result.
type Config struct {
	// Addr is the listen address of Run. Default DefaultAddr.
	Addr string
	// WebhookURL receives the signed webhook POSTs. Empty holds every webhook
	// in the queue until SetWebhookURL is called. Must be an absolute http(s) URL.
	WebhookURL string
	// AppSecret signs webhook bodies (X-Hub-Signature-256). Required. Secret.
	AppSecret string
	// VerifyToken, when set, makes the dispatcher perform Meta's GET
	// verification handshake (hub.mode=subscribe) against every new WebhookURL
	// and deliver nothing to it until the endpoint echoes the challenge.
	// Empty skips the handshake. Secret.
	VerifyToken string
	// AccessToken is the Bearer token every Graph call must carry. Required. Secret.
	AccessToken string
	// PhoneNumberID is the business phone number's Graph id. Default DefaultPhoneNumberID.
	PhoneNumberID string
	// DisplayPhoneNumber is the business number, digits only. Default DefaultDisplayPhoneNumber.
	DisplayPhoneNumber string
	// WABAID is the WhatsApp Business Account id. Default DefaultWABAID.
	WABAID string
	// APIVersions lists the accepted path versions ("v23.0"). Empty accepts
	// any vNN.N.
	APIVersions []string
	// Throughput is the per-number limit in messages per second (PROTOCOL §4);
	// sends over it fail with 130429. Default DefaultThroughput (80);
	// Unlimited (-1) turns the limit off.
	Throughput int
	// ThrottleHTTPStatus is the HTTP status of throttling errors (4, 80007,
	// 130429, 131048, 131056). Default 400; Meta's older table says 429.
	ThrottleHTTPStatus int
	// PairLimit is the business–user pair rate limit (131056).
	PairLimit PairLimit
	// StatusLatency is the delay from an accepted send to its sent status,
	// and from sent to delivered. Default DefaultStatusLatency; negative means
	// no delay.
	StatusLatency time.Duration
	// ReadAfter is the delay from delivered until the simulated customer reads
	// the message. Default DefaultReadAfter; negative means never.
	ReadAfter time.Duration
	// ReadWithoutDelivered is the probability (0..1) that a message is read
	// at once, so that its read status comes with no delivered status before
	// it (PROTOCOL §3.2). Default 0.
	ReadWithoutDelivered float64
	// WebhookBatch is the most statuses coalesced into one webhook POST.
	// Default DefaultWebhookBatch (1000, Meta's maximum).
	WebhookBatch int
	// WebhookBatchWindow is how long the dispatcher waits for more statuses
	// before posting a batch that is not full. Default
	// DefaultWebhookBatchWindow; negative means post at once.
	WebhookBatchWindow time.Duration
	// WebhookConcurrency is the number of webhook POSTs in flight at once.
	// Default 1, which keeps the queue's order (barring faults).
	WebhookConcurrency int
	// WebhookTimeout bounds one webhook POST. Default DefaultWebhookTimeout.
	WebhookTimeout time.Duration
	// WebhookQueueLimit is the most webhook events held; beyond it new events
	// are dropped, counted in Stats and logged. Default DefaultWebhookQueueLimit.
	WebhookQueueLimit int
	// DuplicateRate is the probability (0..1) that a webhook event is
	// delivered twice. Default 0.
	DuplicateRate float64
	// ReorderRate is the probability (0..1) that a status is delivered after
	// one that followed it. Default 0.
	ReorderRate float64
	// DropRate is the probability (0..1) that a webhook event is never
	// delivered (counted in Stats). Default 0.
	DropRate float64
	// FaultRate is the probability (0..1) that a send fails with one of
	// FaultKinds instead of being processed. Default 0.
	FaultRate float64
	// FaultKinds are the injected send failures, picked uniformly. Default
	// [FaultServerError] when FaultRate > 0.
	FaultKinds []FaultKind
	// FaultHang is how long a timeout fault holds the request before
	// answering 503 (the client normally gives up first). Default DefaultFaultHang.
	FaultHang time.Duration
	// RedeliveryBackoff spaces the retries of a webhook POST that did not get
	// a 200. Retries go on while the emulator runs.
	RedeliveryBackoff Backoff
	// Templates seed the template store, after Meta's default hello_world
	// (en_US, UTILITY, APPROVED), which every emulator has.
	Templates []TemplateSeed
	// TemplateReviewDelay is how long a template created through the API
	// stays PENDING before it is APPROVED (with a
	// message_template_status_update webhook). Default
	// DefaultTemplateReviewDelay; negative means it stays PENDING.
	TemplateReviewDelay time.Duration
	// NotOnWhatsApp lists recipients (digits) that are not WhatsApp users:
	// sends to them are accepted and then fail with 131026.
	NotOnWhatsApp []string
	// MarketingOptOut lists recipients (digits) that stopped marketing
	// messages: marketing templates to them fail with 131050.
	MarketingOptOut []string
	// MessageLogSize is how many messages (outbound and inbound) the
	// emulator remembers for /_emulator/messages and for reactions; the
	// oldest are forgotten first. Default DefaultMessageLogSize.
	MessageLogSize int
	// HTTPClient posts the webhooks. Default: a client with WebhookTimeout.
	HTTPClient *http.Client
	// Logger receives the emulator's logs. Default: discard.
	Logger *slog.Logger
	// Clock, when set, replaces time.Now for every timestamp and every
	// window, limit and expiry decision. Delays (StatusLatency, ReadAfter,
	// back-off) always run on real time.
	Clock func() time.Time
}

// PairLimit is the business–user pair rate limit: one message per Interval
// to the same user, with bursts of up to Burst that borrow from future quota
// (PROTOCOL §4).
type PairLimit struct {
	// Interval is the steady rate. Default DefaultPairInterval (6 s).
	Interval time.Duration
	// Burst is the most messages sent at once. Default DefaultPairBurst (45).
	Burst int
	// Disabled turns the pair limit off.
	Disabled bool
}

// Backoff is an exponential back-off: Initial, doubled per attempt up to Max.
type Backoff struct {
	// Initial is the first wait. Default DefaultRedeliveryInitial.
	Initial time.Duration
	// Max caps the wait. Default DefaultRedeliveryMax.
	Max time.Duration
}

func (b Backoff) after(attempt int) time.Duration {
	d := b.Initial
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// FaultKind is an injected send failure: FaultServerError, FaultTimeout,
// FaultTimeoutAfterAccept, or a Graph error code such as "130429".
type FaultKind string

// The non-code fault kinds.
const (
	// FaultServerError answers 503 with code 2 (API Service).
	FaultServerError FaultKind = "5xx"
	// FaultTimeout holds the request without processing it.
	FaultTimeout FaultKind = "timeout"
	// FaultTimeoutAfterAccept accepts the message (its statuses follow) and
	// then holds the response, as when a reply is lost on the way back.
	FaultTimeoutAfterAccept FaultKind = "timeout_after_accept"
)

// FaultCode is the fault kind that answers with the Graph error code.
func FaultCode(code int) FaultKind { return FaultKind(strconv.Itoa(code)) }

func (k FaultKind) valid() bool {
	switch k {
	case FaultServerError, FaultTimeout, FaultTimeoutAfterAccept:
		return true
	}
	code, err := strconv.Atoi(string(k))
	if err != nil {
		return false
	}
	_, ok := graphErrors[code]
	return ok && code != 190
}

// Faults are the fault settings that can change while the emulator runs
// (SetFaults, POST /_emulator/faults). Their meaning is that of the Config
// fields of the same names.
type Faults struct {
	DuplicateRate        float64     `json:"duplicate_rate"`
	ReorderRate          float64     `json:"reorder_rate"`
	DropRate             float64     `json:"drop_rate"`
	FaultRate            float64     `json:"fault_rate"`
	FaultKinds           []FaultKind `json:"fault_kinds"`
	ReadWithoutDelivered float64     `json:"read_without_delivered"`
}

func (f Faults) validate(prefix string, p *problems) {
	for _, r := range []struct {
		key string
		v   float64
	}{
		{"duplicate_rate", f.DuplicateRate}, {"reorder_rate", f.ReorderRate},
		{"drop_rate", f.DropRate}, {"fault_rate", f.FaultRate},
		{"read_without_delivered", f.ReadWithoutDelivered},
	} {
		if r.v < 0 || r.v > 1 {
			p.add(prefix+r.key, r.v, errors.New("want a probability between 0 and 1"))
		}
	}
	for i, k := range f.FaultKinds {
		if !k.valid() {
			p.add(fmt.Sprintf("%sfault_kinds[%d]", prefix, i), k,
				errors.New(`want "5xx", "timeout", "timeout_after_accept" or a known Graph error code`))
		}
	}
}

// TemplateSeed is a template present from the start (and again after Reset).
type TemplateSeed struct {
	// ID is the template id, digits. Default: random.
	ID string
	// Name is the template name ([a-z0-9_]). Required.
	Name string
	// Language is the language and locale code, such as en_US. Required.
	Language string
	// Category is MARKETING, UTILITY or AUTHENTICATION (any case). Default UTILITY.
	Category string
	// HeaderFormat is TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION. Default TEXT
	// when Header is set, none otherwise.
	HeaderFormat string
	// Header is the header text with {{1}} or {{name}} placeholders.
	Header string
	// Body is the body text with {{1}}..{{n}} (positional) or {{name}}
	// (named) placeholders; the kind decides the parameter format.
	Body string
	// Footer is the footer text.
	Footer string
	// Buttons are the template's buttons, in index order.
	Buttons []TemplateButton
	// Status is the template status. Default APPROVED.
	Status string
}

// TemplateButton is a template button. A URL button whose URL ends in a
// placeholder takes one text parameter; OTP and COPY_CODE buttons take one.
type TemplateButton struct {
	// Type is QUICK_REPLY, URL, PHONE_NUMBER, FLOW, CATALOG, MPM, COPY_CODE,
	// OTP or VOICE_CALL.
	Type string `json:"type"`
	// Text is the button label.
	Text string `json:"text,omitempty"`
	// URL is the URL of a URL button, optionally ending in {{1}}.
	URL string `json:"url,omitempty"`
}

var (
	versionRE = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,2}$`)
	digitsRE  = regexp.MustCompile(`^[0-9]+$`)
)

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.PhoneNumberID == "" {
		c.PhoneNumberID = DefaultPhoneNumberID
	}
	if c.DisplayPhoneNumber == "" {
		c.DisplayPhoneNumber = DefaultDisplayPhoneNumber
	}
	if c.WABAID == "" {
		c.WABAID = DefaultWABAID
	}
	if c.Throughput == 0 {
		c.Throughput = DefaultThroughput
	}
	if c.ThrottleHTTPStatus == 0 {
		c.ThrottleHTTPStatus = DefaultThrottleHTTPStatus
	}
	if c.PairLimit.Interval == 0 {
		c.PairLimit.Interval = DefaultPairInterval
	}
	if c.PairLimit.Burst == 0 {
		c.PairLimit.Burst = DefaultPairBurst
	}
	if c.StatusLatency == 0 {
		c.StatusLatency = DefaultStatusLatency
	}
	if c.ReadAfter == 0 {
		c.ReadAfter = DefaultReadAfter
	}
	if c.WebhookBatch == 0 {
		c.WebhookBatch = DefaultWebhookBatch
	}
	if c.WebhookBatchWindow == 0 {
		c.WebhookBatchWindow = DefaultWebhookBatchWindow
	}
	if c.WebhookConcurrency == 0 {
		c.WebhookConcurrency = DefaultWebhookConcurrency
	}
	if c.WebhookTimeout == 0 {
		c.WebhookTimeout = DefaultWebhookTimeout
	}
	if c.WebhookQueueLimit == 0 {
		c.WebhookQueueLimit = DefaultWebhookQueueLimit
	}
	if c.FaultRate > 0 && len(c.FaultKinds) == 0 {
		c.FaultKinds = []FaultKind{FaultServerError}
	}
	if c.FaultHang == 0 {
		c.FaultHang = DefaultFaultHang
	}
	if c.RedeliveryBackoff.Initial == 0 {
		c.RedeliveryBackoff.Initial = DefaultRedeliveryInitial
	}
	if c.RedeliveryBackoff.Max == 0 {
		c.RedeliveryBackoff.Max = DefaultRedeliveryMax
	}
	if c.TemplateReviewDelay == 0 {
		c.TemplateReviewDelay = DefaultTemplateReviewDelay
	}
	if c.MessageLogSize == 0 {
		c.MessageLogSize = DefaultMessageLogSize
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: c.WebhookTimeout}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// validate reports every problem of a defaulted config at once.
func (c Config) validate() error {
	var p problems
	if c.AccessToken == "" {
		p.add("access_token", nil, errors.New("required"))
	}
	if c.AppSecret == "" {
		p.add("app_secret", nil, errors.New("required"))
	}
	if c.WebhookURL != "" {
		if err := checkWebhookURL(c.WebhookURL); err != nil {
			p.add("webhook_url", c.WebhookURL, err)
		}
	}
	for key, v := range map[string]string{
		"phone_number_id": c.PhoneNumberID, "display_phone_number": c.DisplayPhoneNumber, "waba_id": c.WABAID,
	} {
		if !digitsRE.MatchString(v) {
			p.add(key, v, errors.New("want digits only"))
		}
	}
	for i, v := range c.APIVersions {
		if !versionRE.MatchString(v) {
			p.add(fmt.Sprintf("api_versions[%d]", i), v, errors.New(`want "vNN.N"`))
		}
	}
	if c.Throughput < Unlimited {
		p.add("throughput", c.Throughput, errors.New("want messages per second, or -1 for unlimited"))
	}
	if c.ThrottleHTTPStatus < 400 || c.ThrottleHTTPStatus > 599 {
		p.add("throttle_http_status", c.ThrottleHTTPStatus, errors.New("want a 4xx or 5xx status"))
	}
	if c.PairLimit.Interval < 0 {
		p.add("pair_limit.interval", c.PairLimit.Interval, errors.New("want a positive duration"))
	}
	if c.PairLimit.Burst < 1 {
		p.add("pair_limit.burst", c.PairLimit.Burst, errors.New("want at least 1"))
	}
	if c.WebhookBatch < 1 || c.WebhookBatch > 1000 {
		p.add("webhook_batch", c.WebhookBatch, errors.New("want 1 to 1000 statuses per POST"))
	}
	if c.WebhookConcurrency < 1 {
		p.add("webhook_concurrency", c.WebhookConcurrency, errors.New("want at least 1"))
	}
	if c.WebhookTimeout < 0 {
		p.add("webhook_timeout", c.WebhookTimeout, errors.New("want a positive duration"))
	}
	if c.WebhookQueueLimit < 1 {
		p.add("webhook_queue_limit", c.WebhookQueueLimit, errors.New("want at least 1"))
	}
	if c.FaultHang < 0 {
		p.add("fault_hang", c.FaultHang, errors.New("want a positive duration"))
	}
	if c.RedeliveryBackoff.Initial < 0 || c.RedeliveryBackoff.Max < c.RedeliveryBackoff.Initial {
		p.add("redelivery_backoff", fmt.Sprintf("%v..%v", c.RedeliveryBackoff.Initial, c.RedeliveryBackoff.Max),
			errors.New("want 0 < initial <= max"))
	}
	if c.MessageLogSize < 1 {
		p.add("message_log_size", c.MessageLogSize, errors.New("want at least 1"))
	}
	c.faults().validate("", &p)
	for key, list := range map[string][]string{"not_on_whatsapp": c.NotOnWhatsApp, "marketing_opt_out": c.MarketingOptOut} {
		for i, v := range list {
			if waID(v) == "" {
				p.add(fmt.Sprintf("%s[%d]", key, i), v, errors.New("want a phone number"))
			}
		}
	}
	seen := map[string]bool{}
	for i, s := range c.Templates {
		key := fmt.Sprintf("templates[%d]", i)
		if _, err := s.template(); err != nil {
			p.add(key, s.Name, err)
		}
		if seen[s.Name+"/"+s.Language] {
			p.add(key, s.Name+"/"+s.Language, errors.New("duplicate name and language"))
		}
		seen[s.Name+"/"+s.Language] = true
	}
	return p.err()
}

// faults returns the runtime-changeable part of c.
func (c Config) faults() Faults {
	return Faults{
		DuplicateRate: c.DuplicateRate, ReorderRate: c.ReorderRate, DropRate: c.DropRate,
		FaultRate: c.FaultRate, FaultKinds: c.FaultKinds, ReadWithoutDelivered: c.ReadWithoutDelivered,
	}
}

// LogValue logs the config with its secrets redacted.
func (c Config) LogValue() slog.Value {
	redact := func(s string) string {
		if s == "" {
			return ""
		}
		return "[redacted]"
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("webhook_url", c.WebhookURL),
		slog.String("app_secret", redact(c.AppSecret)),
		slog.String("verify_token", redact(c.VerifyToken)),
		slog.String("access_token", redact(c.AccessToken)),
		slog.String("phone_number_id", c.PhoneNumberID),
		slog.String("waba_id", c.WABAID),
		slog.Int("throughput", c.Throughput),
		slog.Duration("status_latency", c.StatusLatency),
		slog.Duration("read_after", c.ReadAfter),
		slog.Int("webhook_batch", c.WebhookBatch),
		slog.Int("templates", len(c.Templates)),
	)
}

func checkWebhookURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an absolute http(s) URL")
	}
	return nil
}

// waID returns the digits of a phone number, or "" when it cannot be one
// (E.164 allows at most 15 digits).
func waID(phone string) string {
	if n := len(phone); n >= 5 && n <= 15 && strings.Trim(phone, "0123456789") == "" {
		return phone // already digits: no allocation
	}
	var b strings.Builder
	for _, r := range phone {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return ""
		}
	}
	if b.Len() < 5 || b.Len() > 15 {
		return ""
	}
	return b.String()
}
