// Package ingest accepts canonical events: it validates them, stores each
// one durably with its idempotency key and enqueues it in the same
// transaction, and only then lets the caller acknowledge. A repeat of a key
// gets the first answer back and is not processed again; input that is
// refused is kept raw with the reason.
package ingest
