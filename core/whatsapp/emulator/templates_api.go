package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-hub/parley/core/whatsapp"
)

// Template list paging (PROTOCOL §5).
const (
	templatePageDefault = 25
	templatePageMax     = 1000
)

var defaultTemplateFields = []string{"name", "parameter_format", "components", "language", "status", "category", "id"}

// info returns every field Graph can list for a template.
func (t *template) info() map[string]any {
	comps := t.components
	if comps == nil {
		comps = []json.RawMessage{}
	}
	reason := t.reason
	if reason == "" {
		reason = "NONE"
	}
	return map[string]any{
		"id":               t.id,
		"name":             t.name,
		"language":         t.language,
		"status":           t.status,
		"category":         t.category,
		"parameter_format": t.format,
		"components":       comps,
		"quality_score":    map[string]string{"score": "UNKNOWN"},
		"rejected_reason":  reason,
	}
}

// handleListTemplates is GET /{version}/{waba-id}/message_templates with
// fields, status / category / language / name filters, and limit + cursor
// paging.
func (e *Emulator) handleListTemplates(w http.ResponseWriter, r *http.Request, c *call) {
	if c.node != e.cfg.WABAID {
		e.writeError(w, c, unknownObject(r.Method, c.node))
		return
	}
	q := r.URL.Query()
	limit := templatePageDefault
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > templatePageMax {
			e.writeError(w, c, errorf(100, "Param limit must be a number between 1 and %d.", templatePageMax))
			return
		}
		limit = n
	}
	in := func(key, v string) bool {
		f := q.Get(key)
		if f == "" {
			return true
		}
		return slices.ContainsFunc(strings.Split(f, ","), func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), v) })
	}
	var all []*template
	for _, t := range e.templates.list() {
		if in("status", t.status) && in("category", t.category) && in("language", t.language) &&
			strings.Contains(t.name, q.Get("name")) {
			all = append(all, t)
		}
	}
	// Cursors are the template's creation sequence number.
	start, end := 0, len(all)
	if s := q.Get("after"); s != "" {
		seq, ok := decodeCursor(s)
		if !ok {
			e.writeError(w, c, errorf(100, "Param after is not a valid cursor."))
			return
		}
		start, _ = slices.BinarySearchFunc(all, seq+1, func(t *template, s uint64) int { return cmpU(t.seq, s) })
		end = min(len(all), start+limit)
	} else if s := q.Get("before"); s != "" {
		seq, ok := decodeCursor(s)
		if !ok {
			e.writeError(w, c, errorf(100, "Param before is not a valid cursor."))
			return
		}
		end, _ = slices.BinarySearchFunc(all, seq, func(t *template, s uint64) int { return cmpU(t.seq, s) })
		start = max(0, end-limit)
	} else {
		end = min(len(all), limit)
	}
	page := all[start:end]
	out := struct {
		Data   []map[string]any `json:"data"`
		Paging *whatsapp.Paging `json:"paging,omitempty"`
	}{Data: []map[string]any{}}
	for _, t := range page {
		m, aerr := pickFields(t.info(), q.Get("fields"), defaultTemplateFields)
		if aerr != nil {
			e.writeError(w, c, aerr)
			return
		}
		out.Data = append(out.Data, m)
	}
	if len(page) > 0 {
		p := &whatsapp.Paging{}
		p.Cursors.Before = encodeCursor(page[0].seq)
		p.Cursors.After = encodeCursor(page[len(page)-1].seq)
		if end < len(all) {
			next := *r.URL
			nq := next.Query()
			nq.Del("before")
			nq.Set("after", p.Cursors.After)
			next.RawQuery = nq.Encode()
			p.Next = absURL(r, &next)
		}
		out.Paging = p
	}
	writeJSON(w, http.StatusOK, out)
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func encodeCursor(seq uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(seq, 10)))
}

func decodeCursor(s string) (uint64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	return n, err == nil
}

func absURL(r *http.Request, u *url.URL) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + u.RequestURI()
}

// createTemplateRequest is the body of POST /{waba-id}/message_templates.
type createTemplateRequest struct {
	Name            string            `json:"name"`
	Language        string            `json:"language"`
	Category        string            `json:"category"`
	ParameterFormat string            `json:"parameter_format"`
	Components      []json.RawMessage `json:"components"`
}

// handleCreateTemplate is POST /{version}/{waba-id}/message_templates: the
// template is PENDING, then APPROVED after TemplateReviewDelay with a
// message_template_status_update webhook.
func (e *Emulator) handleCreateTemplate(w http.ResponseWriter, r *http.Request, c *call) {
	if c.node != e.cfg.WABAID {
		e.writeError(w, c, unknownObject(r.Method, c.node))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSendBody))
	if err != nil {
		e.writeError(w, c, errorf(100, "Could not read the request body: %v", err))
		return
	}
	var req createTemplateRequest
	if err := json.Unmarshal(body, &req); err != nil {
		e.writeError(w, c, errorf(100, "The request body is not valid JSON for a template: %v", err))
		return
	}
	switch {
	case req.Name == "":
		e.writeError(w, c, errorf(100, "The parameter name is required."))
		return
	case !templateNameRE.MatchString(req.Name):
		e.writeError(w, c, errorf(100, "Param name must be 1 to 512 lowercase letters, digits and underscores - got %q.", trimLen(req.Name, 60)))
		return
	case req.Language == "":
		e.writeError(w, c, errorf(100, "The parameter language is required."))
		return
	case req.Category == "":
		e.writeError(w, c, errorf(100, "The parameter category is required."))
		return
	}
	t, err := buildTemplate(req.Name, req.Language, strings.ToUpper(req.Category), req.ParameterFormat, req.Components)
	if err != nil {
		e.writeError(w, c, errorf(100, "Invalid template: %v", err))
		return
	}
	t.id, t.status = e.ids.numeric(), TemplatePending
	resp := map[string]string{"id": t.id, "status": t.status, "category": t.category}
	if !e.templates.create(t) {
		e.writeError(w, c, &apiError{code: 100, subcode: 2388024, details: fmt.Sprintf(
			"Content in this language already exists: the template %s already has %s content.", t.name, t.language)})
		return
	}
	if d := e.cfg.TemplateReviewDelay; d >= 0 {
		name, lang, epoch := t.name, t.language, e.epoch.Load()
		e.sched.add(job{due: delay(d), epoch: epoch, stage: stageFunc, fn: func() {
			e.changeTemplate(name, lang, TemplateApproved, "", TemplatePending)
		}})
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleDeleteTemplates is DELETE /{version}/{waba-id}/message_templates
// ?name=X (every language) or &hsm_id=ID (one).
func (e *Emulator) handleDeleteTemplates(w http.ResponseWriter, r *http.Request, c *call) {
	if c.node != e.cfg.WABAID {
		e.writeError(w, c, unknownObject(r.Method, c.node))
		return
	}
	name, hsmID := r.URL.Query().Get("name"), r.URL.Query().Get("hsm_id")
	if name == "" {
		e.writeError(w, c, errorf(100, "The parameter name is required."))
		return
	}
	gone := e.templates.remove(name, hsmID)
	if len(gone) == 0 {
		e.writeError(w, c, errorf(100, "Message template %q was not found.", trimLen(name, 60)))
		return
	}
	for _, t := range gone {
		e.templateEvent(t, TemplateDeleted, "")
	}
	writeJSON(w, http.StatusOK, success)
}

// getTemplate answers GET /{version}/{template-id}; false if there is none.
func (e *Emulator) getTemplate(w http.ResponseWriter, r *http.Request, c *call) bool {
	t := e.templates.byTemplateID(c.node)
	if t == nil {
		return false
	}
	m, aerr := pickFields(t.info(), r.URL.Query().Get("fields"), defaultTemplateFields)
	if aerr != nil {
		e.writeError(w, c, aerr)
		return true
	}
	writeJSON(w, http.StatusOK, m)
	return true
}

// templateEvents are the events SetTemplateStatus accepts, with the status
// each leaves the template in ("" keeps it).
var templateEvents = map[string]string{
	TemplateApproved: TemplateApproved, TemplatePending: TemplatePending, TemplateRejected: TemplateRejected,
	TemplatePaused: TemplatePaused, TemplateDisabled: TemplateDisabled, TemplateInAppeal: TemplateInAppeal,
	TemplatePendingDeletion: TemplatePendingDeletion, TemplateLimitExceeded: TemplateLimitExceeded,
	TemplateArchived: TemplateArchived, "REINSTATED": TemplateApproved, "UNARCHIVED": TemplateApproved,
	"FLAGGED": "", "LOCKED": "",
}

// SetTemplateStatus applies a template status event (APPROVED, PAUSED,
// DISABLED, REJECTED, REINSTATED, FLAGGED ...) to the template name +
// language and fires its message_template_status_update webhook. reason is
// the rejection reason ("" means NONE).
func (e *Emulator) SetTemplateStatus(name, language, event, reason string) error {
	event = strings.ToUpper(event)
	if _, ok := templateEvents[event]; !ok {
		return fmt.Errorf("%w: unknown template event %q", ErrInvalidInput, event)
	}
	if !e.changeTemplate(name, language, event, reason, "") {
		return fmt.Errorf("%w: %s (%s)", ErrUnknownTemplate, name, language)
	}
	return nil
}

// changeTemplate applies event if the template exists and (when onlyFrom is
// set) has that status, then fires the webhook.
func (e *Emulator) changeTemplate(name, language, event, reason, onlyFrom string) bool {
	t := e.templates.setStatus(name, language, templateEvents[event], reason, onlyFrom)
	if t == nil {
		return false
	}
	e.templateEvent(t, event, reason)
	return true
}

// templateEvent queues a message_template_status_update (PROTOCOL §3.6).
func (e *Emulator) templateEvent(t *template, what, reason string) {
	now := e.now()
	v := &whatsapp.TemplateStatusUpdate{
		Event:                   what,
		MessageTemplateID:       json.Number(t.id),
		MessageTemplateName:     t.name,
		MessageTemplateLanguage: t.language,
		MessageTemplateCategory: t.category,
	}
	switch {
	case what == TemplatePendingDeletion:
		// reason is null when the template is scheduled for deletion.
	case reason != "":
		v.Reason = &reason
	case what == TemplateRejected:
		r := "INVALID_FORMAT"
		v.Reason = &r
	default:
		r := "NONE"
		v.Reason = &r
	}
	switch what {
	case TemplatePaused:
		v.OtherInfo = json.RawMessage(`{"title":"FIRST_PAUSE","description":"Your WhatsApp message template has been paused for 3 hours until ` +
			now.Add(3*time.Hour).UTC().Format("Jan 2, 2006 at 3:04 PM UTC") + ` due to low quality."}`)
	case TemplateDisabled:
		v.DisableInfo = json.RawMessage(`{"disable_date":` + strconv.FormatInt(now.Unix(), 10) + `}`)
	case TemplateRejected:
		v.RejectionInfo = json.RawMessage(`{"reason":` + strconv.Quote(*v.Reason) +
			`,"recommendation":"Edit the template so that it follows the WhatsApp template guidelines."}`)
	}
	e.hooks.enqueue(event{kind: evTemplate, template: v, time: now.Unix()})
}

// create adds a template unless its name + language exists.
func (s *templateStore) create(t *template) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byKey[tkey(t.name, t.language)]; ok {
		return false
	}
	s.addLocked(t)
	return true
}

func (s *templateStore) byTemplateID(id string) *template {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t := s.byID[id]; t != nil {
		c := *t
		return &c
	}
	return nil
}

// setStatus changes a template's status ("" keeps it) and returns a copy,
// or nil when there is no such template (or onlyFrom does not match).
func (s *templateStore) setStatus(name, language, status, reason, onlyFrom string) *template {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.byKey[tkey(name, language)]
	if t == nil || (onlyFrom != "" && t.status != onlyFrom) {
		return nil
	}
	if status != "" {
		t.status = status
	}
	if status == TemplateRejected {
		t.reason = reason
		if t.reason == "" {
			t.reason = "INVALID_FORMAT"
		}
	}
	c := *t
	return &c
}

// remove deletes the templates named name (only the one with id hsmID when
// set) and returns them.
func (s *templateStore) remove(name, hsmID string) []*template {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gone []*template
	for k, t := range s.byKey {
		if t.name != name || (hsmID != "" && t.id != hsmID) {
			continue
		}
		delete(s.byKey, k)
		delete(s.byID, t.id)
		gone = append(gone, t)
	}
	slices.SortFunc(gone, func(a, b *template) int { return cmpU(a.seq, b.seq) })
	return gone
}
