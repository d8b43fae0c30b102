// Package config owns Parley's configuration: the schema, its defaults, loading
// (defaults, then an optional YAML file, then PARLEY_* environment variables),
// strict decoding, validation and the documented example file.
//
// Start reading at [Config] in config.go. Each field is described once, in its
// struct tags, and that description drives everything else:
//
//	koanf:"key"         the key in YAML and, upper-cased, in the environment
//	desc:"..."          the documentation rendered by [ExampleYAML]
//	default:"..."       the value applied by [Default] and [Load]
//	example:"..."       a sample value shown in the example file
//	required:"true"     must be non-empty; required:"production" only in that mode
//	enum:"a|b"          allowed values
//	pattern:"^re$"      a regular expression the value must match (when set)
//	format:"hostport"   one of hostport, url, eventpath, timezone, timestamp (RFC 3339) (checked when set)
//	min:">0" max:"1"    inclusive bounds; a leading ">" makes a bound exclusive
//
// Secrets have the type [Secret], which prints as [Redacted] in logs, errors and
// [Config.Dump]. The rendered example lives in configs/parley.example.yaml and a
// golden test keeps it equal to [ExampleYAML].
//
// Environment variables: PARLEY_ followed by the key path in upper case with a
// double underscore between levels, so whatsapp.access_token is
// PARLEY_WHATSAPP__ACCESS_TOKEN and pipeline.retry.max_retries is
// PARLEY_PIPELINE__RETRY__MAX_RETRIES. Lists (api.keys, templates, flows) are set
// only in the file. Two names are reserved: PARLEY_API_KEY adds one raw API key
// (hashed in memory, see [Config.APIKeyHashes]) and PARLEY_CONFIG names the file
// when [LoadOptions.File] is empty. Any other PARLEY_* name that is not a key is
// an error, like an unknown key in the file.
package config
