package emulator

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by the emulator's Go API.
var (
	// ErrInvalidConfig: New was given a config that fails validation; the
	// returned error also wraps one *FieldError per problem.
	ErrInvalidConfig = errors.New("invalid emulator config")
	// ErrStarted: Start or Run was called on an emulator already started.
	ErrStarted = errors.New("emulator already started")
	// ErrClosed: the emulator was closed.
	ErrClosed = errors.New("emulator closed")
	// ErrInvalidInput: a simulated inbound message or recipient is malformed.
	ErrInvalidInput = errors.New("invalid input")
	// ErrUnknownTemplate: no template has that name and language.
	ErrUnknownTemplate = errors.New("unknown template")
	// ErrControl: a control API call failed; the returned error is a
	// *ControlError carrying the HTTP status and the server's message.
	ErrControl = errors.New("emulator control call failed")
)

// FieldError is one invalid field: its key path, its value (nil for
// secrets), and why it is wrong.
type FieldError struct {
	Field string
	Value any
	Err   error
}

func (e *FieldError) Error() string {
	if e.Value == nil {
		return fmt.Sprintf("%s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v (got %v)", e.Field, e.Err, e.Value)
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// problems collects every FieldError of a validation.
type problems []error

func (p *problems) add(field string, value any, err error) {
	*p = append(*p, &FieldError{Field: field, Value: value, Err: err})
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.Join(append([]error{ErrInvalidConfig}, p...)...)
}

// ControlError is a failed control API call.
type ControlError struct {
	Status  int
	Code    string
	Message string
}

func (e *ControlError) Error() string {
	return fmt.Sprintf("emulator control: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap returns ErrControl.
func (e *ControlError) Unwrap() error { return ErrControl }

// graphError is one entry of the Cloud API error table (PROTOCOL §2.3).
type graphError struct {
	title    string
	status   int  // HTTP status of the synchronous response
	throttle bool // status is Config.ThrottleHTTPStatus instead
	details  string
}

// graphErrors holds the codes the emulator can produce, with Meta's titles.
var graphErrors = map[int]graphError{
	0:      {title: "AuthException", status: 401, details: "We were unable to authenticate the app user."},
	1:      {title: "API Unknown", status: 400, details: "Invalid request or possible server error."},
	2:      {title: "API Service", status: 503, details: "Temporary due to downtime or due to being overloaded."},
	3:      {title: "API Method", status: 500, details: "Capability or permissions issue."},
	4:      {title: "API Too Many Calls", throttle: true, details: "The app has reached its API call rate limit."},
	10:     {title: "API Permission Denied", status: 403, details: "Permission is either not granted or has been removed."},
	100:    {title: "Invalid parameter", status: 400, details: "The request included one or more unsupported or misspelled parameters."},
	190:    {title: "Access token has expired", status: 401, details: "Your access token has expired."},
	368:    {title: "Temporarily blocked for policies violations", status: 403, details: "The WhatsApp Business Account associated with the app has been restricted or disabled for violating a platform policy."},
	80007:  {title: "Rate limit issues", throttle: true, details: "The WhatsApp Business Account has reached its rate limit."},
	130429: {title: "Rate limit hit", throttle: true, details: "Cloud API message throughput has been reached."},
	130472: {title: "User's number is part of an experiment", status: 400, details: "Failed to send message because this user's phone number is part of an experiment."},
	131000: {title: "Something went wrong", status: 500, details: "Message failed to send due to an unknown error."},
	131005: {title: "Access denied", status: 403, details: "Permission is either not granted or has been removed."},
	131008: {title: "Required parameter is missing", status: 400, details: "The request is missing a required parameter."},
	131009: {title: "Parameter value is not valid", status: 400, details: "One or more parameter values are invalid."},
	131016: {title: "Service unavailable", status: 500, details: "A service is temporarily unavailable."},
	131021: {title: "Recipient cannot be sender", status: 400, details: "Sender and recipient phone number is the same."},
	131026: {title: "Message undeliverable", status: 400, details: "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted our new Terms of Service and Privacy Policy; the recipient is using an old WhatsApp version."},
	131031: {title: "Account has been locked", status: 403, details: "The WhatsApp Business Account is restricted or disabled for violating a platform policy."},
	131042: {title: "Business eligibility payment issue", status: 400, details: "There was an error related to your payment method."},
	131045: {title: "Incorrect certificate", status: 500, details: "Message failed to send due to a phone number registration error."},
	131047: {title: "Re-engagement message", status: 400, details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
	131048: {title: "Spam rate limit hit", throttle: true, details: "Message failed to send because there are restrictions on how many messages can be sent from this phone number."},
	131049: {title: "This message was not delivered to maintain healthy ecosystem engagement.", status: 400, details: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."},
	131050: {title: "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.", status: 400, details: "The user has stopped marketing messages from this business."},
	131051: {title: "Unsupported message type", status: 400, details: "Message type is not currently supported."},
	131052: {title: "Media download error", status: 400, details: "Unable to download the media sent by the user."},
	131053: {title: "Media upload error", status: 400, details: "Unable to upload the media used in the message."},
	131056: {title: "(Business Account, Consumer Account) pair rate limit hit", throttle: true, details: "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."},
	131057: {title: "Account in maintenance mode", status: 500, details: "Business Account is in maintenance mode."},
	132000: {title: "Number of parameters does not match the expected number of params", status: 400, details: "The number of variable parameter values included in the request did not match the number of variable parameters defined in the template."},
	132001: {title: "Template name does not exist in the translation", status: 404, details: "The template does not exist in the specified language or the template has not been approved."},
	132005: {title: "Translated text too long", status: 400, details: "Translated text is too long."},
	132007: {title: "Template Format Character Policy Violated", status: 400, details: "Template content violates a WhatsApp policy."},
	132012: {title: "Parameter format does not match format in the created template", status: 400, details: "Variable parameter values formatted incorrectly."},
	132015: {title: "Template is Paused", status: 400, details: "Template is paused due to low quality so it cannot be sent in a template message."},
	132016: {title: "Template is Disabled", status: 400, details: "Template has been paused too many times due to low quality and is now permanently disabled."},
	132018: {title: "Template Param Issue", status: 400, details: "There was an issue with the parameters in your template."},
	133010: {title: "Phone number Not Registered", status: 400, details: "The phone number is not registered on the WhatsApp Business Platform."},
	135000: {title: "Generic user error", status: 400, details: "Message failed to send because of an unknown error with your request parameters."},
}

// errorsHref is the href of asynchronous error objects (PROTOCOL §2.2).
const errorsHref = "/documentation/business-messaging/whatsapp/support/error-codes"

// apiError is a Graph error decided by a handler: the code and, when more
// specific than the table's, the details.
type apiError struct {
	code    int
	subcode int
	details string
}

func (e *apiError) Error() string { return fmt.Sprintf("(#%d) %s", e.code, e.details) }

func errorf(code int, format string, args ...any) *apiError {
	return &apiError{code: code, details: fmt.Sprintf(format, args...)}
}

// webhookError returns the asynchronous form of a code, for failed statuses.
func webhookError(code int, details string) webhookErr {
	ge := graphErrors[code]
	if details == "" {
		details = ge.details
	}
	return webhookErr{code: code, title: ge.title, details: details}
}

// webhookErr is an asynchronous error held by a message until its failed
// status is emitted.
type webhookErr struct {
	code           int
	title, details string
}

func trimLen(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
