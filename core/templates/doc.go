// Package templates owns the message templates Parley may send: their
// definitions from the config (category, parameter schema, one variant per
// language, version), their approval status per language as the platform
// reports it (template_statuses, updated by message_template_status_update
// webhooks and by Sync), the locale fallback chain (pt_BR → pt → the
// template's default language) and the formatting of numbers, currencies
// and dates in the variant's language.
//
// Start with Registry (registry.go): Resolve picks the variant for a
// contact's language, Build fills it from values and Check validates a
// template request before it is sent, so the platform never answers
// 132000 (parameter count) or 132001 (no such template or language).
package templates
