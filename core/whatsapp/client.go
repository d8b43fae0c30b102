package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ClientConfig configures a Client. Zero values take the documented default.
type ClientConfig struct {
	// BaseURL is the Graph API origin. Default "https://graph.facebook.com";
	// the emulator's URL in tests and sandboxes.
	BaseURL string
	// APIVersion is the Graph version path segment, "vNN.N". Default "v23.0".
	APIVersion string
	// PhoneNumberID is the business phone number id that sends. Required.
	PhoneNumberID string
	// WABAID is the WhatsApp Business Account id; needed by ListTemplates only.
	WABAID string
	// AccessToken is the system-user or business token. Required. Secret: it
	// is sent only in the Authorization header of requests to BaseURL's
	// origin and never appears in errors, logs or String.
	AccessToken string
	// Timeout bounds each API call (connect to last body byte). Default 10s.
	Timeout time.Duration
	// UploadTimeout bounds UploadMedia, whose bodies reach 100 MB. Default 2m.
	UploadTimeout time.Duration
	// HTTPClient sends the requests. Default: a client with a pooled
	// transport tuned for high throughput (see NewTransport). The client's
	// own Timeout, if any, also applies.
	HTTPClient *http.Client
}

const (
	defaultBaseURL       = "https://graph.facebook.com"
	defaultAPIVersion    = "v23.0"
	defaultTimeout       = 10 * time.Second
	defaultUploadTimeout = 2 * time.Minute

	maxResponseBytes = 16 << 20 // a page of templates with components can be large
	templatePageSize = 100
	maxTemplatePages = 1000
	redacted         = "[REDACTED]"
)

// String describes the config with the access token redacted.
func (c ClientConfig) String() string {
	tok := ""
	if c.AccessToken != "" {
		tok = redacted
	}
	return fmt.Sprintf("{BaseURL:%s APIVersion:%s PhoneNumberID:%s WABAID:%s AccessToken:%s Timeout:%s UploadTimeout:%s}",
		c.BaseURL, c.APIVersion, c.PhoneNumberID, c.WABAID, tok, c.Timeout, c.UploadTimeout)
}

// GoString is String, so %#v does not print the token either.
func (c ClientConfig) GoString() string { return "whatsapp.ClientConfig" + c.String() }

// LogValue logs the config with the access token redacted.
func (c ClientConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.BaseURL),
		slog.String("api_version", c.APIVersion),
		slog.String("phone_number_id", c.PhoneNumberID),
		slog.String("waba_id", c.WABAID),
		slog.String("access_token", redacted),
		slog.Duration("timeout", c.Timeout),
	)
}

var apiVersionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// withDefaults applies the defaults, then validates, reporting every
// problem at once.
func (c ClientConfig) withDefaults() (ClientConfig, error) {
	if c.BaseURL == "" {
		c.BaseURL = defaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.APIVersion == "" {
		c.APIVersion = defaultAPIVersion
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.UploadTimeout == 0 {
		c.UploadTimeout = defaultUploadTimeout
	}
	var p problems
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.User != nil {
		p.add("BaseURL", c.BaseURL, fmt.Errorf("must be an http(s) origin such as %s", defaultBaseURL))
	}
	if !apiVersionRE.MatchString(c.APIVersion) {
		p.add("APIVersion", c.APIVersion, fmt.Errorf(`must look like "v23.0"`))
	}
	if c.PhoneNumberID == "" {
		p.add("PhoneNumberID", nil, ErrRequired)
	} else if !isDigits(c.PhoneNumberID) {
		p.add("PhoneNumberID", c.PhoneNumberID, fmt.Errorf("must be a decimal id"))
	}
	if c.WABAID != "" && !isDigits(c.WABAID) {
		p.add("WABAID", c.WABAID, fmt.Errorf("must be a decimal id"))
	}
	if c.AccessToken == "" {
		p.add("AccessToken", nil, ErrRequired)
	}
	if c.Timeout < 0 {
		p.add("Timeout", c.Timeout, fmt.Errorf("must be positive"))
	}
	if c.UploadTimeout < 0 {
		p.add("UploadTimeout", c.UploadTimeout, fmt.Errorf("must be positive"))
	}
	return c, p.err()
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// NewTransport returns the transport a Client uses by default: keep-alive
// connections pooled per host (256 idle per host, HTTP/2 when the server
// offers it) so thousands of sends per second reuse connections instead of
// paying a TLS handshake each.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Client calls the WhatsApp Cloud API for one business phone number. It is
// safe for concurrent use; it keeps no state between calls and does not
// retry: callers decide with ClassOf and RetryAfter.
type Client struct {
	cfg  ClientConfig
	http *http.Client
	// origin is scheme://host of BaseURL; the token is sent nowhere else.
	origin *url.URL
}

// NewClient checks cfg and returns a Client. It opens no connection.
func NewClient(cfg ClientConfig) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("whatsapp client config: %w", err)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: NewTransport()}
	}
	origin, _ := url.Parse(cfg.BaseURL) // validated above
	return &Client{cfg: cfg, http: hc, origin: origin}, nil
}

// PhoneNumberID returns the sending number's id.
func (c *Client) PhoneNumberID() string { return c.cfg.PhoneNumberID }

func (c *Client) endpoint(parts ...string) string {
	segs := make([]string, 0, len(parts)+1)
	segs = append(segs, c.cfg.APIVersion)
	for _, p := range parts {
		segs = append(segs, url.PathEscape(p))
	}
	return c.cfg.BaseURL + "/" + strings.Join(segs, "/")
}

// Send sends a message: POST /{version}/{phone-number-id}/messages. It
// validates req first (a *ValidationError, ClassPermanent, sends nothing), sets
// messaging_product and, when omitted, type, on a copy; req is not modified.
// A nil error means Meta accepted the message (not that it was delivered)
// and the response carries its wamid in Messages[0].ID.
func (c *Client) Send(ctx context.Context, req *SendRequest) (*SendResponse, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	r := *req
	r.MessagingProduct = MessagingProduct
	if r.Type == "" && r.Status == "" {
		r.Type = r.payloadType()
	}
	var resp SendResponse
	if err := c.postJSON(ctx, "send", &r, &resp); err != nil {
		return nil, err
	}
	if len(resp.Messages) == 0 || resp.Messages[0].ID == "" {
		return nil, &ResponseError{Op: "send", HTTPStatus: http.StatusOK, Err: ErrUnsuccessful}
	}
	return &resp, nil
}

// MarkRead marks an inbound message (and the earlier ones in its thread) as
// read, showing blue ticks to the customer.
func (c *Client) MarkRead(ctx context.Context, wamid string) error {
	return c.receipt(ctx, "mark read", &SendRequest{Status: "read", MessageID: wamid})
}

// ShowTyping marks an inbound message as read and shows the typing
// indicator for up to 25 seconds or until the next reply.
func (c *Client) ShowTyping(ctx context.Context, wamid string) error {
	return c.receipt(ctx, "typing indicator", &SendRequest{
		Status: "read", MessageID: wamid, TypingIndicator: &TypingIndicator{Type: "text"},
	})
}

func (c *Client) receipt(ctx context.Context, op string, req *SendRequest) error {
	if err := req.Validate(); err != nil {
		return err
	}
	req.MessagingProduct = MessagingProduct
	var resp SendResponse
	if err := c.postJSON(ctx, op, req, &resp); err != nil {
		return err
	}
	if resp.Success == nil || !*resp.Success {
		return &ResponseError{Op: op, HTTPStatus: http.StatusOK, Err: ErrUnsuccessful}
	}
	return nil
}

func (c *Client) postJSON(ctx context.Context, op string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("whatsapp %s: encode request: %w", op, err)
	}
	return c.do(ctx, op, http.MethodPost, c.endpoint(c.cfg.PhoneNumberID, "messages"),
		bytes.NewReader(b), "application/json", c.cfg.Timeout, out)
}

// ListTemplates returns every message template of the WABA (all statuses,
// all languages), following Graph's paging:
// GET /{version}/{waba-id}/message_templates?fields=name,status,category,language,components,parameter_format&limit=100.
// A paging.next link is followed only when it points at BaseURL's origin
// (with any access_token parameter removed); otherwise the "after" cursor is
// used with BaseURL, so the token never leaves for another host.
func (c *Client) ListTemplates(ctx context.Context) ([]TemplateInfo, error) {
	if c.cfg.WABAID == "" {
		return nil, fmt.Errorf("whatsapp list templates: %w", ErrNoWABA)
	}
	first := url.Values{
		"fields": {"name,status,category,language,components,parameter_format"},
		"limit":  {strconv.Itoa(templatePageSize)},
	}
	base := c.endpoint(c.cfg.WABAID, "message_templates")
	next := base + "?" + first.Encode()
	var all []TemplateInfo
	seen := map[string]bool{}
	for page := 0; ; page++ {
		if page == maxTemplatePages || seen[next] {
			return all, fmt.Errorf("whatsapp list templates: page %d: %w", page, ErrPaging)
		}
		seen[next] = true
		var tl TemplateList
		if err := c.do(ctx, "list templates", http.MethodGet, next, nil, "", c.cfg.Timeout, &tl); err != nil {
			return all, err
		}
		all = append(all, tl.Data...)
		if tl.Paging == nil || tl.Paging.Next == "" || len(tl.Data) == 0 {
			return all, nil
		}
		next = c.nextPage(base, first, tl.Paging)
		if next == "" {
			return all, fmt.Errorf("whatsapp list templates: page %d has a next link but no usable cursor: %w", page, ErrPaging)
		}
	}
}

// nextPage returns the URL of the page after p, or "".
func (c *Client) nextPage(base string, first url.Values, p *Paging) string {
	if u, err := url.Parse(p.Next); err == nil && u.Scheme == c.origin.Scheme && u.Host == c.origin.Host && u.User == nil {
		q := u.Query()
		q.Del("access_token")
		u.RawQuery = q.Encode()
		u.Fragment = ""
		return u.String()
	}
	if p.Cursors.After == "" {
		return ""
	}
	q := url.Values{}
	for k, v := range first {
		q[k] = v
	}
	q.Set("after", p.Cursors.After)
	return base + "?" + q.Encode()
}

// UploadMedia uploads a file for later sends by id (ids live 30 days):
// POST /{version}/{phone-number-id}/media as multipart/form-data with
// messaging_product=whatsapp, type=<mime> and the file part. The body is
// streamed from r, not buffered. Meta's size limits (PROTOCOL §6) apply; a
// MIME type that does not match the content fails with 131053. r is not
// read after UploadMedia returns; a Read that blocks forever blocks it.
func (c *Client) UploadMedia(ctx context.Context, mime, filename string, r io.Reader) (string, error) {
	var p problems
	if mime == "" {
		p.add("mime", nil, ErrRequired)
	}
	if filename == "" {
		p.add("filename", nil, ErrRequired)
	}
	if r == nil {
		p.add("file", nil, ErrRequired)
	}
	if err := p.err(); err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(writeUpload(mw, mime, filename, r))
	}()
	defer func() {
		_ = pr.Close() // unblocks the writer if the request ended early
		<-done         // r is never read after UploadMedia returns
	}()
	var out struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, "upload media", http.MethodPost, c.endpoint(c.cfg.PhoneNumberID, "media"),
		pr, mw.FormDataContentType(), c.cfg.UploadTimeout, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", &ResponseError{Op: "upload media", HTTPStatus: http.StatusOK, Err: ErrUnsuccessful}
	}
	return out.ID, nil
}

func writeUpload(mw *multipart.Writer, mime, filename string, r io.Reader) error {
	if err := mw.WriteField("messaging_product", MessagingProduct); err != nil {
		return err
	}
	if err := mw.WriteField("type", mime); err != nil {
		return err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", multipart.FileContentDisposition("file", filename))
	h.Set("Content-Type", mime)
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, r); err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	return mw.Close()
}

// do performs one call and decodes a 2xx body into out. Errors are
// *APIError, *ResponseError or *TransportError, all free of the token.
func (c *Client) do(ctx context.Context, op, method, u string, body io.Reader, contentType string, timeout time.Duration, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return c.transportError(op, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.AccessToken)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(op, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		_ = resp.Body.Close()
	}()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return c.transportError(op, fmt.Errorf("read response: %w", err))
	}
	if len(data) > maxResponseBytes {
		return &ResponseError{Op: op, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("response larger than %d bytes", maxResponseBytes)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.apiError(op, resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &ResponseError{Op: op, HTTPStatus: resp.StatusCode, Body: c.redact(snippet(data)), Err: fmt.Errorf("decode response: %w", err)}
	}
	return nil
}

func (c *Client) apiError(op string, resp *http.Response, data []byte) error {
	var env struct {
		Error *GraphError `json:"error"`
	}
	if err := json.Unmarshal(data, &env); err != nil || env.Error == nil ||
		(env.Error.Code == 0 && env.Error.Message == "" && env.Error.Type == "") {
		return &ResponseError{Op: op, HTTPStatus: resp.StatusCode, Body: c.redact(snippet(data)), Err: fmt.Errorf("no Graph error in %s response", resp.Status)}
	}
	g := *env.Error
	g.Message = c.redact(g.Message)
	g.ErrorUserTitle = c.redact(g.ErrorUserTitle)
	g.ErrorUserMsg = c.redact(g.ErrorUserMsg)
	if g.ErrorData != nil {
		d := *g.ErrorData
		d.Details = c.redact(d.Details)
		g.ErrorData = &d
	}
	return &APIError{HTTPStatus: resp.StatusCode, Graph: g, RetryAfter: serverWait(resp.Header)}
}

func (c *Client) transportError(op string, err error) error {
	return &TransportError{Op: op, Err: err, msg: c.redact(err.Error())}
}

func (c *Client) redact(s string) string {
	if c.cfg.AccessToken == "" {
		return s
	}
	return strings.ReplaceAll(s, c.cfg.AccessToken, redacted)
}

func snippet(b []byte) string {
	return truncate(string(b), 512)
}

// serverWait reads Meta's throttling hints: Retry-After (seconds) and the
// estimated_time_to_regain_access (minutes) of x-business-use-case-usage.
func serverWait(h http.Header) time.Duration {
	var w time.Duration
	if s := h.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			w = time.Duration(n) * time.Second
		}
	}
	if s := h.Get("X-Business-Use-Case-Usage"); s != "" {
		var usage map[string][]struct {
			Minutes int `json:"estimated_time_to_regain_access"`
		}
		if json.Unmarshal([]byte(s), &usage) == nil {
			for _, list := range usage {
				for _, u := range list {
					w = max(w, time.Duration(u.Minutes)*time.Minute)
				}
			}
		}
	}
	return w
}
