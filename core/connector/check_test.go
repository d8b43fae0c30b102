package connector

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/sdk"
)

func TestCheckActions(t *testing.T) {
	t.Parallel()
	specs := map[string]sdk.Spec{
		"zendesk": {Name: "zendesk", Actions: []sdk.ActionSpec{
			{Name: "create_ticket", Input: []sdk.Field{{Name: "subject", Required: true, Description: "The subject."},
				{Name: "comment", Required: true, Description: "The transcript."}, {Name: "public", Required: true, Default: "true"}, {Name: "tags"}}},
			{Name: "add_comment"},
		}},
		"shopify": {Name: "shopify"},
	}
	action := func(name string, in config.Values) config.Flow {
		return config.Flow{Name: "f", Action: config.FlowAction{Name: name, Input: in}}
	}
	tests := []struct {
		name  string
		flows []config.Flow
		want  []string
	}{
		{"fits", []config.Flow{{Name: "send", Text: "hi"}, action("zendesk.create_ticket", config.Values{"subject": "s", "comment": "{{transcript}}"})}, nil},
		{"not running", []config.Flow{action("hubspot.add_note", nil)},
			[]string{`flows[0].action.name: connector "hubspot" is not running (not listed under connectors, or disabled)`}},
		{"no such action", []config.Flow{action("zendesk.create_tiket", nil), action("shopify.refund", nil)},
			[]string{`flows[0].action.name: connector "zendesk" has no action "create_tiket" (it has create_ticket, add_comment)`,
				`flows[1].action.name: connector "shopify" has no action "refund" (it has no actions)`}},
		{"inputs", []config.Flow{action("zendesk.create_ticket", config.Values{"subject": " ", "colour": "red"})},
			[]string{`flows[0].action.input.subject: action "zendesk.create_ticket" requires it: The subject.`,
				`flows[0].action.input.comment: action "zendesk.create_ticket" requires it: The transcript.`,
				`flows[0].action.input.colour: action "zendesk.create_ticket" takes no input "colour" (it takes subject, comment, public, tags)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, CheckActions(tt.flows, specs)); diff != "" {
				t.Errorf("CheckActions (-want +got):\n%s", diff)
			}
		})
	}
}
