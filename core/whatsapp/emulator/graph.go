package emulator

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/parley-hub/parley/core/whatsapp"
)

// routes builds the emulator's handler: the control API under /_emulator/,
// media downloads under /whatsapp_business/attachments/, and the Graph API.
func (e *Emulator) routes() http.Handler {
	g := http.NewServeMux()
	g.HandleFunc("POST /{version}/{node}/messages", e.graph(e.handleSend))
	g.HandleFunc("POST /{version}/{node}/media", e.graph(e.handleUpload))
	g.HandleFunc("GET /{version}/{node}/message_templates", e.graph(e.handleListTemplates))
	g.HandleFunc("POST /{version}/{node}/message_templates", e.graph(e.handleCreateTemplate))
	g.HandleFunc("DELETE /{version}/{node}/message_templates", e.graph(e.handleDeleteTemplates))
	g.HandleFunc("GET /{version}/{node}", e.graph(e.handleGetNode))
	g.HandleFunc("DELETE /{version}/{node}", e.graph(e.handleDeleteNode))
	g.HandleFunc("/", e.graph(e.handleUnsupported))

	c := e.controlRoutes()
	download := http.HandlerFunc(e.handleDownload)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/_emulator/") || r.URL.Path == "/_emulator":
			c.ServeHTTP(w, r)
		case r.URL.Path == mediaDownloadPath:
			download.ServeHTTP(w, r)
		default:
			g.ServeHTTP(w, r)
		}
	})
}

// call is one Graph request's context.
type call struct {
	version string
	node    string
	trace   string
}

// graph wraps a Graph handler: Meta's response headers, the access token
// (190 otherwise), and the path version.
func (e *Emulator) graph(h func(http.ResponseWriter, *http.Request, *call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := &call{version: r.PathValue("version"), node: r.PathValue("node"), trace: e.ids.trace()}
		hd := w.Header()
		hd.Set("Content-Type", "application/json; charset=UTF-8")
		hd.Set("x-fb-trace-id", c.trace[:11])
		hd.Set("x-fb-request-id", c.trace)
		hd.Set("x-fb-rev", "1029384756")
		hd.Set("Cache-Control", "private, no-cache, no-store, must-revalidate")
		if c.version != "" {
			hd.Set("facebook-api-version", c.version)
		}
		if !e.authorized(r) {
			e.writeError(w, c, &apiError{code: 190})
			return
		}
		if c.version != "" && (!versionRE.MatchString(c.version) || (e.versions != nil && !e.versions[c.version])) {
			e.writeError(w, c, errorf(100, "Unknown path components: /%s (unsupported API version)", c.version))
			return
		}
		h(w, r, c)
	}
}

func (e *Emulator) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		tok = r.URL.Query().Get("access_token")
	}
	return tok != "" && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(e.cfg.AccessToken)) == 1
}

// writeError writes a Graph error envelope (PROTOCOL §2.1) with the HTTP
// status of the code (§2.3) and counts it.
func (e *Emulator) writeError(w http.ResponseWriter, c *call, err *apiError) {
	count(&e.stats.rejected, err.code)
	ge, ok := graphErrors[err.code]
	if !ok {
		ge = graphErrors[1]
	}
	status := ge.status
	if ge.throttle {
		status = e.cfg.ThrottleHTTPStatus
	}
	env := whatsapp.ErrorEnvelope{Error: whatsapp.GraphError{
		Message:      fmt.Sprintf("(#%d) %s", err.code, ge.title),
		Type:         "OAuthException",
		Code:         err.code,
		ErrorSubcode: err.subcode,
		FBTraceID:    c.trace,
	}}
	if err.code == 190 {
		// Token errors are plain Graph errors, without error_data.
		env.Error.Message = "Invalid OAuth access token - Cannot parse access token"
	} else {
		details := err.details
		if details == "" {
			details = ge.details
		}
		env.Error.ErrorData = &whatsapp.ErrorData{MessagingProduct: whatsapp.MessagingProduct, Details: details}
	}
	writeJSON(w, status, env)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// success is Graph's {"success": true}.
var success = struct {
	Success bool `json:"success"`
}{true}

func (e *Emulator) handleUnsupported(w http.ResponseWriter, r *http.Request, c *call) {
	e.writeError(w, c, &apiError{code: 100, subcode: 33, details: fmt.Sprintf(
		"Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
		strings.ToLower(r.Method), strings.Trim(r.URL.Path, "/"))})
}

// unknownObject is Graph's answer for an id that names nothing.
func unknownObject(method, id string) *apiError {
	return &apiError{code: 100, subcode: 33, details: fmt.Sprintf(
		"Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
		strings.ToLower(method), id)}
}

// handleGetNode answers GET /{version}/{id} for a media object, a template
// or the business phone number.
func (e *Emulator) handleGetNode(w http.ResponseWriter, r *http.Request, c *call) {
	if m := e.media.get(c.node); m != nil {
		e.getMedia(w, r, c, m)
		return
	}
	if e.getTemplate(w, r, c) {
		return
	}
	if c.node == e.cfg.PhoneNumberID {
		e.getPhoneNumber(w, r, c)
		return
	}
	e.writeError(w, c, unknownObject(r.Method, c.node))
}

// handleDeleteNode answers DELETE /{version}/{media-id}.
func (e *Emulator) handleDeleteNode(w http.ResponseWriter, r *http.Request, c *call) {
	if e.deleteMedia(w, r, c) {
		return
	}
	e.writeError(w, c, unknownObject(r.Method, c.node))
}

// getPhoneNumber answers GET /{version}/{phone-number-id}.
func (e *Emulator) getPhoneNumber(w http.ResponseWriter, r *http.Request, c *call) {
	all := map[string]any{
		"id":                       e.cfg.PhoneNumberID,
		"display_phone_number":     "+" + e.cfg.DisplayPhoneNumber,
		"verified_name":            "Parley Sandbox",
		"quality_rating":           "GREEN",
		"code_verification_status": "VERIFIED",
		"platform_type":            "CLOUD_API",
		"name_status":              "APPROVED",
		"throughput":               map[string]string{"level": "STANDARD"},
		"whatsapp_business_manager_messaging_limit": "TIER_250",
	}
	out, err := pickFields(all, r.URL.Query().Get("fields"),
		[]string{"verified_name", "code_verification_status", "display_phone_number", "quality_rating", "platform_type", "throughput", "id"})
	if err != nil {
		e.writeError(w, c, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// pickFields applies Graph's ?fields= to an object: the listed fields (or
// the defaults) plus id. An unknown field is error 100.
func pickFields(all map[string]any, fields string, defaults []string) (map[string]any, *apiError) {
	want := defaults
	if fields != "" {
		want = strings.Split(fields, ",")
	}
	out := map[string]any{"id": all["id"]}
	for _, f := range want {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, ok := all[f]
		if !ok {
			return nil, errorf(100, "Tried accessing nonexisting field (%s)", f)
		}
		out[f] = v
	}
	return out, nil
}
