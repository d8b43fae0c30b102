// Package contacts owns the people Parley messages: one contact per person,
// found by any of its identifiers (phone in E.164, WhatsApp id, business-
// scoped user id, email, a source's external id) and merged when one
// source's identifiers turn out to belong to two contacts. A contact has
// attributes, a preferred language and a time zone.
//
// Phone numbers are normalized with github.com/nyaruka/phonenumbers
// (phone.go); a number without a country code is read in the configured
// default region or refused, never guessed. Start with Store.ResolveTx
// (contacts.go), which the flows and inbound stages call for every event
// and every customer message.
package contacts

import _ "time/tzdata" // time zones without the host's zoneinfo: the binary stands alone
