package whatsapp

import (
	"errors"
	"time"
)

// Class says what to do with a failed send. It is decided by the error's
// code (error.code of a Graph error, or of a webhook error object), never by
// the HTTP status or the message text: Meta returns throttling codes with
// 400 and permission problems with 500. The string values are stable and
// may be stored.
type Class string

const (
	// Retry: a transient failure on Meta's side or in transport; try again
	// soon with exponential back-off (see SuggestedWait).
	Retry Class = "retry"
	// BackOff: a rate or quality limit; try again only after the suggested
	// wait, and slow down the sender it names (number, pair, WABA, app).
	BackOff Class = "back_off"
	// NeedsTemplate: the customer service window is closed (131047); a
	// free-form message cannot be sent, only an approved template.
	NeedsTemplate Class = "needs_template"
	// Permanent: this message, recipient or template will never succeed as
	// it is; dead-letter it with the error.
	Permanent Class = "permanent"
	// Auth: the credentials, permissions or account cannot send anything
	// (token expired, permission removed, number unregistered, account
	// locked, payment problem, WABA restricted). Every send fails until an
	// operator fixes the configuration: stop sending, alert, keep messages.
	Auth Class = "auth"
)

// backoff is a wait policy: base·factor^attempt, capped at max.
type backoff struct {
	base   time.Duration
	factor int64
	max    time.Duration
}

func (b backoff) after(attempt int) time.Duration {
	if b.base == 0 {
		return 0
	}
	w := b.base
	for range max(attempt, 0) {
		if w >= b.max || b.factor <= 1 {
			break
		}
		w *= time.Duration(b.factor)
	}
	return min(w, b.max)
}

var (
	defaultRetry = backoff{time.Second, 2, time.Minute}
	// Per-number throughput (80 or 1,000 messages/s): a second is enough.
	throughputWait = backoff{time.Second, 2, time.Minute}
	// Pair rate limit: Meta's advice is to wait 4^X seconds, X = 0, 1, 2, …
	// consecutive failures (PROTOCOL §4); capped at 4^5 s ≈ 17 min.
	pairWait = backoff{time.Second, 4, 1024 * time.Second}
	// Hourly Graph/WABA limits (200 or 5,000 calls per hour).
	hourlyWait = backoff{time.Minute, 2, time.Hour}
	// 131048: the number is restricted for spam/quality; hours, not seconds.
	spamWait = backoff{15 * time.Minute, 2, 6 * time.Hour}
	// 131049: per-user marketing cap; Meta: wait at least 24 h.
	dayWait = backoff{24 * time.Hour, 1, 24 * time.Hour}
	// 132069: 10 messages per hour with one Flow.
	flowWait = backoff{10 * time.Minute, 2, time.Hour}
	// 131057: maintenance during a throughput upgrade, up to a minute.
	maintenanceWait = backoff{15 * time.Second, 2, 2 * time.Minute}
	// 133015/133016: number (de)registration limits (10 per 72 h).
	registrationWait = backoff{time.Hour, 2, 24 * time.Hour}
)

type codeRule struct {
	class Class
	wait  backoff
}

// codes is the classification table, one row per code of PROTOCOL.md §2.3
// plus the Graph codes that appear in the OpenAPI error examples (17, 104,
// 613). Decisions that are not obvious from the title:
//
//   - 1 ("API Unknown") is Retry, as Meta's table suggests; a request that is
//     really invalid fails again and the caller's attempt limit ends it.
//   - 131048 (spam rate limit) is BackOff with hours of wait: the number is
//     throttled for quality, the message itself is fine.
//   - 131049 (per-user marketing cap) is BackOff with a 24 h wait: Meta says
//     to wait at least a day. A caller whose message goes stale drops it.
//   - 10, 200–299, 3 and 131005 (permissions), 368 (WABA temporarily
//     restricted), 33/133010/131045/133000 (number not usable), 131031
//     (account locked), 131037 (display name) and 131042 (payment) are Auth:
//     they hold for every message until someone acts, so pausing beats
//     dead-lettering the whole queue.
//   - 132069 (Flow throttled) and 133015/133016 (registration limits) are
//     BackOff.
//
// Unknown codes are Permanent (APIError.Class makes them Retry when Graph
// marks them is_transient).
var codes = map[int]codeRule{
	// Transient: retry.
	1:      {Retry, defaultRetry},
	2:      {Retry, defaultRetry},
	131000: {Retry, defaultRetry},
	131016: {Retry, defaultRetry},
	131057: {Retry, maintenanceWait},
	133004: {Retry, defaultRetry},

	// Rate and quality limits: back off.
	4:      {BackOff, hourlyWait},
	17:     {BackOff, hourlyWait},
	613:    {BackOff, hourlyWait},
	80007:  {BackOff, hourlyWait},
	130429: {BackOff, throughputWait},
	131048: {BackOff, spamWait},
	131049: {BackOff, dayWait},
	131056: {BackOff, pairWait},
	132069: {BackOff, flowWait},
	133015: {BackOff, registrationWait},
	133016: {BackOff, registrationWait},

	// Customer service window closed.
	131047: {NeedsTemplate, backoff{}},

	// Credentials, permissions, account.
	0:      {Auth, backoff{}},
	3:      {Auth, backoff{}},
	10:     {Auth, backoff{}},
	33:     {Auth, backoff{}},
	104:    {Auth, backoff{}},
	190:    {Auth, backoff{}},
	368:    {Auth, backoff{}},
	131005: {Auth, backoff{}},
	131031: {Auth, backoff{}},
	131037: {Auth, backoff{}},
	131042: {Auth, backoff{}},
	131045: {Auth, backoff{}},
	133000: {Auth, backoff{}},
	133010: {Auth, backoff{}},

	// This message, recipient or template.
	100:    {Permanent, backoff{}},
	130472: {Permanent, backoff{}},
	130497: {Permanent, backoff{}},
	131008: {Permanent, backoff{}},
	131009: {Permanent, backoff{}},
	131021: {Permanent, backoff{}},
	131026: {Permanent, backoff{}},
	131030: {Permanent, backoff{}},
	131050: {Permanent, backoff{}},
	131051: {Permanent, backoff{}},
	131052: {Permanent, backoff{}},
	131053: {Permanent, backoff{}},
	131060: {Permanent, backoff{}},
	131063: {Permanent, backoff{}},
	131064: {Permanent, backoff{}},
	132000: {Permanent, backoff{}},
	132001: {Permanent, backoff{}},
	132005: {Permanent, backoff{}},
	132007: {Permanent, backoff{}},
	132012: {Permanent, backoff{}},
	132015: {Permanent, backoff{}},
	132016: {Permanent, backoff{}},
	132018: {Permanent, backoff{}},
	132068: {Permanent, backoff{}},
	133005: {Permanent, backoff{}},
	133006: {Permanent, backoff{}},
	133007: {Permanent, backoff{}},
	133008: {Permanent, backoff{}},
	133009: {Permanent, backoff{}},
	135000: {Permanent, backoff{}},
}

func lookupCode(code int) (codeRule, bool) {
	if r, ok := codes[code]; ok {
		return r, true
	}
	if code >= 200 && code <= 299 { // API Permission (Graph range)
		return codeRule{Auth, backoff{}}, true
	}
	return codeRule{Permanent, backoff{}}, false
}

// Classify returns the class of a Graph or webhook error code. Unknown
// codes are Permanent.
func Classify(code int) Class {
	r, _ := lookupCode(code)
	return r.class
}

// SuggestedWait is how long to wait after the attempt-th consecutive failure
// (counting from 0) with this code before trying again: for 131056 Meta's
// 4^attempt seconds, for 130429 about a second doubling to a minute, for the
// hourly Graph limits (4, 17, 613, 80007) a minute doubling to an hour, a day
// for 131049. It is zero for NeedsTemplate, Permanent and Auth.
func SuggestedWait(code int, attempt int) time.Duration {
	r, _ := lookupCode(code)
	return r.wait.after(attempt)
}

// Class classifies an asynchronous error the same way as a synchronous one.
func (e WebhookError) Class() Class { return Classify(e.Code) }

// ClassOf classifies any error returned by Client: an *APIError by its
// code, a *ResponseError by its status (see ResponseError.Class), a
// *ValidationError, *FieldError or *ParseError as Permanent, and everything
// else — transport failures, timeouts, cancelled contexts — as Retry. A nil
// error has no class ("").
func ClassOf(err error) Class {
	if err == nil {
		return ""
	}
	var (
		api *APIError
		re  *ResponseError
		ve  *ValidationError
		fe  *FieldError
		pe  *ParseError
	)
	switch {
	case errors.As(err, &api):
		return api.Class()
	case errors.As(err, &re):
		return re.Class()
	case errors.As(err, &ve), errors.As(err, &fe), errors.As(err, &pe):
		return Permanent
	case errors.Is(err, ErrNoWABA):
		return Auth
	default:
		return Retry
	}
}

// RetryAfter is the suggested wait after the attempt-th consecutive failure
// with err (see APIError.Wait); for other retryable errors an exponential
// back-off from one second to a minute; zero for errors not worth retrying.
func RetryAfter(err error, attempt int) time.Duration {
	var api *APIError
	if errors.As(err, &api) {
		return api.Wait(attempt)
	}
	if ClassOf(err) == Retry {
		return defaultRetry.after(attempt)
	}
	return 0
}
