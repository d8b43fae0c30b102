package webhook

import (
	"github.com/parley-hub/parley/sdk/eventdata"

	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/configure"
	sdkphone "github.com/parley-hub/parley/sdk/phone"
)

// Version is the connector's version, reported in its Spec.
const Version = "0.1.0"

// Connector is the generic webhook connector. Create it with New; the host
// calls Configure before anything else. It is safe for concurrent use.
type Connector struct {
	now func() time.Time // used when a request carries no ReceivedAt
	cfg configure.State[config]
}

var (
	_ sdk.Connector      = (*Connector)(nil)
	_ sdk.WebhookHandler = (*Connector)(nil)
)

// New returns an unconfigured webhook connector.
func New() *Connector { return &Connector{now: time.Now} }

// Spec describes the connector and its config.
func (c *Connector) Spec() sdk.Spec {
	return sdk.Spec{
		Name:    "webhook",
		Version: Version,
		Description: "Any JSON webhook signed with HMAC-SHA256 (hex or base64, optional timestamp against replays) " +
			"as Parley events, with type, id, contact and data picked from the body by configured paths.",
		Config: configFields,
	}
}

// Configure validates cfg and applies it, reporting every problem at once.
// It may be called again; a failed call keeps the previous config.
func (c *Connector) Configure(_ context.Context, cfg sdk.Config) error {
	parsed, err := parseConfig(cfg)
	if err != nil {
		return err
	}
	c.cfg.Set(parsed)
	return nil
}

// HandleWebhook verifies the signature over the raw body, then turns the
// JSON object in the body into one event. A phone that cannot be read as
// E.164 skips the event with the reason; the delivery still succeeds.
func (c *Connector) HandleWebhook(_ context.Context, req sdk.WebhookRequest) (sdk.WebhookResult, error) {
	cfg, err := c.cfg.Get()
	if err != nil {
		return sdk.WebhookResult{}, err
	}
	now := req.ReceivedAt
	if now.IsZero() {
		now = c.now()
	}
	if err := cfg.verify(req, now); err != nil {
		return sdk.WebhookResult{}, err
	}
	ev, err := cfg.event(req.Body, now)
	if err != nil {
		return sdk.WebhookResult{}, fmt.Errorf("%w: %v", sdk.ErrBadRequest, err)
	}
	res := sdk.WebhookResult{DedupeKey: cfg.source + ":" + ev.ID}
	if cfg.deliveryHeader != "" {
		if id := strings.TrimSpace(req.Header.Get(cfg.deliveryHeader)); id != "" {
			res.DedupeKey = cfg.source + ":delivery:" + id
		}
	}
	if ev.Contact.Phone != "" {
		phone, err := sdkphone.Normalize(ev.Contact.Phone, cfg.defaultRegion)
		if err != nil {
			res.Skipped = []sdk.Skip{{ID: ev.ID, Reason: fmt.Sprintf("%s %q: %v", cfg.phonePath, ev.Contact.Phone, err)}}
			return res, nil
		}
		ev.Contact.Phone = phone
	}
	res.Events = []sdk.Event{ev}
	return res, nil
}

// event builds the event from a verified body.
func (cfg *config) event(body []byte, receivedAt time.Time) (sdk.Event, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var root map[string]any
	if err := d.Decode(&root); err != nil {
		return sdk.Event{}, fmt.Errorf("body is not a JSON object: %v", err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return sdk.Event{}, errors.New("body has data after the JSON object")
	}
	ev := sdk.Event{Source: cfg.source, Type: cfg.typ, OccurredAt: receivedAt.UTC()}
	var errs []error
	str := func(dst *string, p string, required bool) {
		if p == "" {
			return
		}
		s, err := lookupString(root, p)
		switch {
		case err != nil:
			errs = append(errs, err)
		case s == "" && required:
			errs = append(errs, fmt.Errorf("%s is missing or empty", p))
		case s != "":
			*dst = s
		}
	}
	str(&ev.Type, cfg.typePath, true)
	str(&ev.ID, cfg.idPath, true)
	str(&ev.Contact.Phone, cfg.phonePath, false)
	str(&ev.Contact.Name, cfg.namePath, false)
	str(&ev.Contact.Email, cfg.emailPath, false)
	if cfg.idPath == "" {
		sum := sha256.Sum256(body)
		ev.ID = hex.EncodeToString(sum[:])
	}
	if cfg.occurredAtPath != "" {
		var at string
		str(&at, cfg.occurredAtPath, false)
		if at != "" {
			t, err := parseTime(at)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %v", cfg.occurredAtPath, err))
			}
			ev.OccurredAt = t
		}
	}
	data, ok := lookup(any(root), cfg.dataPath)
	if obj, isObj := data.(map[string]any); ok && isObj {
		ev.Data = obj
	} else {
		errs = append(errs, fmt.Errorf("data path %q is not a JSON object", cfg.dataPath))
	}
	return ev, errors.Join(errs...)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		n, nerr := strconv.ParseInt(s, 10, 64)
		if nerr != nil {
			return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor Unix seconds", s)
		}
		t = time.Unix(n, 0)
	}
	if !eventdata.EncodableTime(t) {
		return time.Time{}, fmt.Errorf("%q is outside the years 0 to 9999", s)
	}
	return t.UTC(), nil
}
