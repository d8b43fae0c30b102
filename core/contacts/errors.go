package contacts

import "errors"

var (
	// ErrBadPhone means a value is not a phone number Parley can use.
	ErrBadPhone = errors.New("not an E.164 phone number")
	// ErrNotFound means no contact matches.
	ErrNotFound = errors.New("contact not found")
	// ErrNoIdentity means a profile carries nothing that identifies a person.
	ErrNoIdentity = errors.New("no phone, WhatsApp id, user id, email or external id")
)
