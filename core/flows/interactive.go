package flows

import (
	"github.com/parley-hub/parley/core/config"
	"github.com/parley-hub/parley/core/event"
	"github.com/parley-hub/parley/core/whatsapp"
)

// renderInteractive builds the reply buttons or list menu of flow f.
func renderInteractive(f config.Flow, ev *event.Event) (*whatsapp.Interactive, error) {
	in := f.Interactive
	body, err := fillText(f.Name, in.Body, ev)
	if err != nil {
		return nil, err
	}
	out := &whatsapp.Interactive{Type: in.Type, Body: &whatsapp.InteractiveText{Text: body}}
	if in.Header != "" {
		out.Header = &whatsapp.InteractiveHeader{Type: "text", Text: in.Header}
	}
	if in.Footer != "" {
		out.Footer = &whatsapp.InteractiveText{Text: in.Footer}
	}
	out.Action = &whatsapp.Action{}
	if in.Type == "button" {
		for _, o := range in.Options {
			out.Action.Buttons = append(out.Action.Buttons, whatsapp.Button{Type: "reply", Reply: whatsapp.ButtonReply{ID: o.ID, Title: o.Title}})
		}
		return out, nil
	}
	out.Action.Button = in.Button
	if out.Action.Button == "" {
		out.Action.Button = "Options"
	}
	index := map[string]int{}
	for _, o := range in.Options {
		i, ok := index[o.Section]
		if !ok {
			i = len(out.Action.Sections)
			index[o.Section] = i
			out.Action.Sections = append(out.Action.Sections, whatsapp.Section{Title: o.Section})
		}
		out.Action.Sections[i].Rows = append(out.Action.Sections[i].Rows, whatsapp.Row{ID: o.ID, Title: o.Title, Description: o.Description})
	}
	if len(out.Action.Sections) > 1 {
		for i := range out.Action.Sections {
			if out.Action.Sections[i].Title == "" {
				out.Action.Sections[i].Title = "More"
			}
		}
	}
	return out, nil
}

// nextSteps returns the flows a menu reply leads to: the next of the
// option the customer picked, in the menu flow named by the event.
func nextSteps(flows []config.Flow, ev *event.Event) []string {
	if ev.Type != config.EventMessageReply {
		return nil
	}
	menu, _ := ev.Lookup("data.menu_flow")
	reply, _ := ev.Lookup("data.reply_id")
	for _, f := range flows {
		if f.Name != menu || f.Interactive == nil {
			continue
		}
		for _, o := range f.Interactive.Options {
			if o.ID == reply && o.Next != "" {
				return []string{o.Next}
			}
		}
	}
	return nil
}
