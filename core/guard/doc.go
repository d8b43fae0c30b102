// Package guard owns the guardrails applied before and during sending:
// frequency caps per contact and category (caps.go), quiet hours in the
// recipient's time zone (quiet.go), the business number's pace with
// golang.org/x/time/rate (pacer.go) and the per-recipient pair limit
// (pairs.go). The caps and quiet hours are pure rules the policy gate
// applies; the pacers hold the in-memory state of the send rate.
package guard
