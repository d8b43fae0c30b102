package connector

import (
	"context"
	"regexp"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/event"
)

var placeholder = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// renderInput fills an action's input templates from the event: each
// {{path}} with the event's value there ("" when absent: the connector checks
// the inputs it requires) and {{transcript}} with the recent conversation
// with the event's contact.
func (c *Connectors) renderInput(ctx context.Context, tpl map[string]string, ev *event.Event) (map[string]any, error) {
	var transcript *string
	var terr error
	out := make(map[string]any, len(tpl))
	for k, t := range tpl {
		out[k] = placeholder.ReplaceAllStringFunc(t, func(m string) string {
			path := placeholder.FindStringSubmatch(m)[1]
			if path != config.TranscriptPlaceholder {
				v, _ := ev.Lookup(path)
				return v
			}
			if transcript == nil {
				s, err := c.transcripts.For(ctx, ev.Contact.Phone)
				transcript, terr = &s, err
			}
			return *transcript
		})
	}
	if terr != nil {
		return nil, terr
	}
	return out, nil
}
