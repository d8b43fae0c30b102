// Package whatsapp owns Parley's side of Meta's WhatsApp Cloud API: the
// wire format, the client that sends, the classification of its errors,
// and the webhook receiver and parser that bring statuses and inbound
// messages back. The emulator (subpackage emulator) speaks the same wire
// types from Meta's side.
//
// Read in this order:
//
//   - wire.go: the JSON bodies, field for field as in Meta's OpenAPI
//     description (business-messaging-api_v23.0.yaml) and PROTOCOL.md.
//   - request.go, validate.go: building send requests (NewText, NewTemplate,
//     NewMedia, NewButtons, NewList, NewReaction) and checking Meta's local
//     rules before a call (SendRequest.Validate).
//   - client.go: Client — Send, MarkRead, ShowTyping, ListTemplates,
//     UploadMedia — over a pooled transport. It does not retry.
//   - classify.go, errors.go: every failure is data. ClassOf(err) says
//     ClassRetry, ClassBackOff, ClassNeedsTemplate, ClassPermanent or
//     ClassAuth, decided by Meta's error.code (never the HTTP status);
//     RetryAfter(err, attempt) says how long to wait.
//   - receiver.go, signature.go: Receiver, the http.Handler Meta calls. It
//     answers the GET handshake, checks X-Hub-Signature-256 over the exact
//     bytes, and hands authenticated bodies to a Sink that stores them
//     before Meta gets its 200. It does not parse.
//   - parse.go: Parse turns a stored body into InboundItem, StatusItem,
//     TemplateStatusUpdate and ErrorItem values, later in the pipeline.
//   - state.go: MessageState and Advance, the monotonic status machine
//     (accepted → sent → delivered → read | failed).
//
// Golden files: testdata/spec holds every webhook, send-request, send-
// response and error example of Meta's OpenAPI description, extracted by
// gen_testdata.go (go generate) and checked against the spec when it is
// present at ../shared; testdata/webhooks holds status, template and error
// payloads transcribed from PROTOCOL.md, which the OpenAPI examples lack.
package whatsapp

//go:generate go run gen_testdata.go -spec ../../../shared/whatsapp/business-messaging-api_v23.0.yaml
