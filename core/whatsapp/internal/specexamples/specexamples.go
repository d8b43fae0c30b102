// Package specexamples extracts the JSON examples of Meta's OpenAPI
// description of the WhatsApp Cloud API (business-messaging-api_v23.0.yaml)
// into golden files for the whatsapp package's tests.
//
// Render is the whole API: it maps a spec to the files under
// core/whatsapp/testdata/spec. The go:generate step in core/whatsapp writes
// them; a test re-renders them when the spec is present beside the clone
// (../shared) and fails if the committed files drifted. Tests never need the
// spec itself.
package specexamples

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Dir is the directory, relative to core/whatsapp, that Render's paths are
// relative to.
const Dir = "testdata/spec"

// Render returns the golden files extracted from spec, keyed by slash path
// relative to Dir:
//
//	webhooks/<slug>.json        every example of POST /whatsapp/webhooks
//	send/<slug>.json            every request example of POST /{Version}/{Phone-Number-ID}/messages
//	send_responses/<slug>.json  every 200 response example of that endpoint
//	errors.json                 every distinct Graph error envelope ({"error":{...}}) in any example
//
// Each JSON file keeps the key order and scalar types of the YAML.
func Render(spec []byte) (map[string][]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("parse spec: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("parse spec: not a single YAML document")
	}
	root := doc.Content[0]
	out := map[string][]byte{}

	sets := []struct {
		dir  string
		path []string
	}{
		{"webhooks", []string{"paths", "/whatsapp/webhooks", "post", "requestBody", "content", "application/json", "examples"}},
		{"send", []string{"paths", "/{Version}/{Phone-Number-ID}/messages", "post", "requestBody", "content", "application/json", "examples"}},
		{"send_responses", []string{"paths", "/{Version}/{Phone-Number-ID}/messages", "post", "responses", "200", "content", "application/json", "examples"}},
	}
	for _, set := range sets {
		examples := lookup(root, set.path...)
		if examples == nil || examples.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("spec has no %s", strings.Join(set.path, "."))
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(examples.Content); i += 2 {
			name := examples.Content[i].Value
			value := lookup(examples.Content[i+1], "value")
			if value == nil {
				return nil, fmt.Errorf("%s example %q has no value", set.dir, name)
			}
			js, err := ToJSON(value)
			if err != nil {
				return nil, fmt.Errorf("%s example %q: %w", set.dir, name, err)
			}
			slug := Slug(name)
			seen[slug]++
			if n := seen[slug]; n > 1 {
				slug += "-" + strconv.Itoa(n)
			}
			out[set.dir+"/"+slug+".json"] = js
		}
	}

	envs, err := errorEnvelopes(root)
	if err != nil {
		return nil, err
	}
	out["errors.json"] = envs
	return out, nil
}

// errorEnvelopes collects every example value shaped {"error": {...}} in the
// spec, deduplicated and sorted by code, as one indented JSON array.
func errorEnvelopes(root *yaml.Node) ([]byte, error) {
	type env struct {
		code int
		js   []byte
	}
	var all []env
	seen := map[string]bool{}
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "value" && v.Kind == yaml.MappingNode && len(v.Content) == 2 &&
					v.Content[0].Value == "error" && v.Content[1].Kind == yaml.MappingNode {
					js, err := compactJSON(v)
					if err != nil {
						return err
					}
					if !seen[string(js)] {
						seen[string(js)] = true
						code := 0
						if c := lookup(v.Content[1], "code"); c != nil {
							code, _ = strconv.Atoi(c.Value)
						}
						all = append(all, env{code, js})
					}
					continue
				}
				if err := walk(v); err != nil {
					return err
				}
			}
			return nil
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].code != all[j].code {
			return all[i].code < all[j].code
		}
		return bytes.Compare(all[i].js, all[j].js) < 0
	})
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, e := range all {
		b.WriteString("  ")
		b.Write(e.js)
		if i < len(all)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return b.Bytes(), nil
}

// lookup follows mapping keys from n; nil if one is missing.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil {
			return nil
		}
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// Slug turns an example name into a file name: "Text Message with Context
// (Product Inquiry)" → "text-message-with-context-product-inquiry".
func Slug(name string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
}

// ToJSON converts a YAML node to indented JSON (two spaces, trailing newline),
// keeping key order, scalar types and non-ASCII text as is.
func ToJSON(n *yaml.Node) ([]byte, error) {
	compact, err := compactJSON(n)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func compactJSON(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, n); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("line %d: empty document", n.Line)
		}
		return writeJSON(b, n.Content[0])
	case yaml.AliasNode:
		return writeJSON(b, n.Alias)
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, n.Content[i].Value)
			b.WriteByte(':')
			if err := writeJSON(b, n.Content[i+1]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, c); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			b.WriteString("null")
		case "!!bool":
			var v bool
			if err := n.Decode(&v); err != nil {
				return fmt.Errorf("line %d: %w", n.Line, err)
			}
			b.WriteString(strconv.FormatBool(v))
		case "!!int":
			var v int64
			if err := n.Decode(&v); err != nil {
				return fmt.Errorf("line %d: %w", n.Line, err)
			}
			b.WriteString(strconv.FormatInt(v, 10))
		case "!!float":
			var v float64
			if err := n.Decode(&v); err != nil {
				return fmt.Errorf("line %d: %w", n.Line, err)
			}
			js, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("line %d: %w", n.Line, err)
			}
			b.Write(js)
		default: // !!str, !!timestamp, !!binary: keep the text
			writeString(b, n.Value)
		}
	default:
		return fmt.Errorf("line %d: unsupported YAML node kind %d", n.Line, n.Kind)
	}
	return nil
}

func writeString(b *bytes.Buffer, s string) {
	var sb bytes.Buffer
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Write(bytes.TrimSuffix(sb.Bytes(), []byte("\n")))
}
