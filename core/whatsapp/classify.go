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
	// ClassRetry is a transient failure on Meta's side or in transport: try
	// again soon with exponential back-off (see SuggestedWait).
	ClassRetry Class = "retry"
	// ClassBackOff is a rate or quality limit: try again only after the
	// suggested wait, and slow down the sender it names (number, pair, WABA,
	// app).
	ClassBackOff Class = "back_off"
	// ClassNeedsTemplate means the customer service window is closed
	// (131047): a free-form message cannot be sent, only an approved template.
	ClassNeedsTemplate Class = "needs_template"
	// ClassPermanent means this message, recipient or template will never
	// succeed as it is: dead-letter it with the error.
	ClassPermanent Class = "permanent"
	// ClassAuth means the credentials, permissions or account cannot send
	// anything (token expired, permission removed, number unregistered,
	// account locked, payment problem, WABA restricted). Every send fails
	// until an operator acts: stop sending, alert, keep the messages.
	ClassAuth Class = "auth"
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
//   - 1 ("API Unknown") is ClassRetry, as Meta's table suggests; a request
//     that is really invalid fails again and the caller's attempt limit
//     ends it.
//   - 131048 (spam rate limit) is ClassBackOff with hours of wait: the
//     number is throttled for quality, the message itself is fine.
//   - 131049 (per-user marketing cap) is ClassBackOff with a 24 h wait: Meta
//     says to wait at least a day. A caller whose message goes stale drops it.
//   - 10, 200–299, 3 and 131005 (permissions), 368 (WABA temporarily
//     restricted), 33/133010/131045/133000 (number not usable), 131031
//     (account locked), 131037 (display name) and 131042 (payment) are
//     ClassAuth: they hold for every message until someone acts, so pausing
//     beats dead-lettering the whole queue.
//   - 132069 (Flow throttled) and 133015/133016 (registration limits) are
//     ClassBackOff.
//
// Unknown codes are ClassPermanent (APIError.Class makes them ClassRetry
// when Graph marks them is_transient).
var codes = map[int]codeRule{
	// Transient: retry.
	1:      {ClassRetry, defaultRetry},
	2:      {ClassRetry, defaultRetry},
	131000: {ClassRetry, defaultRetry},
	131016: {ClassRetry, defaultRetry},
	131057: {ClassRetry, maintenanceWait},
	133004: {ClassRetry, defaultRetry},

	// Rate and quality limits: back off.
	4:      {ClassBackOff, hourlyWait},
	17:     {ClassBackOff, hourlyWait},
	613:    {ClassBackOff, hourlyWait},
	80007:  {ClassBackOff, hourlyWait},
	130429: {ClassBackOff, throughputWait},
	131048: {ClassBackOff, spamWait},
	131049: {ClassBackOff, dayWait},
	131056: {ClassBackOff, pairWait},
	132069: {ClassBackOff, flowWait},
	133015: {ClassBackOff, registrationWait},
	133016: {ClassBackOff, registrationWait},

	// Customer service window closed.
	131047: {ClassNeedsTemplate, backoff{}},

	// Credentials, permissions, account.
	0:      {ClassAuth, backoff{}},
	3:      {ClassAuth, backoff{}},
	10:     {ClassAuth, backoff{}},
	33:     {ClassAuth, backoff{}},
	104:    {ClassAuth, backoff{}},
	190:    {ClassAuth, backoff{}},
	368:    {ClassAuth, backoff{}},
	131005: {ClassAuth, backoff{}},
	131031: {ClassAuth, backoff{}},
	131037: {ClassAuth, backoff{}},
	131042: {ClassAuth, backoff{}},
	131045: {ClassAuth, backoff{}},
	133000: {ClassAuth, backoff{}},
	133010: {ClassAuth, backoff{}},

	// This message, recipient or template.
	100:    {ClassPermanent, backoff{}},
	130472: {ClassPermanent, backoff{}},
	130497: {ClassPermanent, backoff{}},
	131008: {ClassPermanent, backoff{}},
	131009: {ClassPermanent, backoff{}},
	131021: {ClassPermanent, backoff{}},
	131026: {ClassPermanent, backoff{}},
	131030: {ClassPermanent, backoff{}},
	131050: {ClassPermanent, backoff{}},
	131051: {ClassPermanent, backoff{}},
	131052: {ClassPermanent, backoff{}},
	131053: {ClassPermanent, backoff{}},
	131060: {ClassPermanent, backoff{}},
	131063: {ClassPermanent, backoff{}},
	131064: {ClassPermanent, backoff{}},
	132000: {ClassPermanent, backoff{}},
	132001: {ClassPermanent, backoff{}},
	132005: {ClassPermanent, backoff{}},
	132007: {ClassPermanent, backoff{}},
	132012: {ClassPermanent, backoff{}},
	132015: {ClassPermanent, backoff{}},
	132016: {ClassPermanent, backoff{}},
	132018: {ClassPermanent, backoff{}},
	132068: {ClassPermanent, backoff{}},
	133005: {ClassPermanent, backoff{}},
	133006: {ClassPermanent, backoff{}},
	133007: {ClassPermanent, backoff{}},
	133008: {ClassPermanent, backoff{}},
	133009: {ClassPermanent, backoff{}},
	135000: {ClassPermanent, backoff{}},
}

func lookupCode(code int) (codeRule, bool) {
	if r, ok := codes[code]; ok {
		return r, true
	}
	if code >= 200 && code <= 299 { // API Permission (Graph range)
		return codeRule{ClassAuth, backoff{}}, true
	}
	return codeRule{ClassPermanent, backoff{}}, false
}

// Classify returns the class of a Graph or webhook error code. Unknown
// codes are ClassPermanent.
func Classify(code int) Class {
	r, _ := lookupCode(code)
	return r.class
}

// SuggestedWait is how long to wait after the attempt-th consecutive failure
// (counting from 0) with this code before trying again: for 131056 Meta's
// 4^attempt seconds, for 130429 about a second doubling to a minute, for the
// hourly Graph limits (4, 17, 613, 80007) a minute doubling to an hour, a day
// for 131049. It is zero for ClassNeedsTemplate, ClassPermanent and ClassAuth.
func SuggestedWait(code int, attempt int) time.Duration {
	r, _ := lookupCode(code)
	return r.wait.after(attempt)
}

// Class classifies an asynchronous error the same way as a synchronous one.
func (e WebhookError) Class() Class { return Classify(e.Code) }

// ClassOf classifies any error returned by Client: an *APIError by its
// code, a *ResponseError by its status (see ResponseError.Class), a
// *ValidationError, *FieldError or *ParseError as ClassPermanent, ErrNoWABA
// as ClassAuth, and everything else — transport failures, timeouts,
// cancelled contexts — as ClassRetry. A nil error has no class ("").
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
		return ClassPermanent
	case errors.Is(err, ErrNoWABA):
		return ClassAuth
	default:
		return ClassRetry
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
	if ClassOf(err) == ClassRetry {
		return defaultRetry.after(attempt)
	}
	return 0
}
