package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/parley-hub/parley/plugins"
	"github.com/parley-hub/parley/sdk"
)

// Plugins is what the API needs of the connector plugin host. Both methods
// are safe for concurrent use and do not block.
type Plugins interface {
	// List returns every plugin's status, in config order.
	List() []plugins.Status
	// Inspect returns the named plugin's detail (config redacted).
	Inspect(name string) (plugins.Detail, bool)
}

// ConnectorStatus is one connector in GET /v1/connectors.
type ConnectorStatus struct {
	Name         string    `json:"name"`
	Version      string    `json:"version,omitempty"`
	State        string    `json:"state"`
	Health       string    `json:"health"`
	Restarts     int       `json:"restarts"`
	PID          int       `json:"pid,omitempty"`
	Capabilities []string  `json:"capabilities"`
	StartedAt    time.Time `json:"started_at,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	WebhookPath  string    `json:"webhook_path,omitempty"`
}

// ConnectorDetail is GET /v1/connectors/{name}: the status, the spec and
// the config with secrets redacted.
type ConnectorDetail struct {
	ConnectorStatus
	Path        string            `json:"path"`
	SHA256      string            `json:"sha256"`
	Description string            `json:"description,omitempty"`
	Config      map[string]string `json:"config"`
	ConfigSpec  []Field           `json:"config_spec"`
	Actions     []Action          `json:"actions,omitempty"`
	LastExitAt  time.Time         `json:"last_exit_at,omitzero"`
}

// Field is one config field or action input of a connector's spec.
type Field struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Default     string `json:"default,omitempty"`
	Example     string `json:"example,omitempty"`
	Required    bool   `json:"required"`
	Secret      bool   `json:"secret"`
}

// Action is an action of a connector's spec.
type Action struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Input       []Field `json:"input"`
}

func fields(fs []sdk.Field) []Field {
	out := make([]Field, len(fs))
	for i, f := range fs {
		out[i] = Field{Name: f.Name, Description: f.Description, Default: f.Default, Example: f.Example, Required: f.Required, Secret: f.Secret}
	}
	return out
}

func actions(as []sdk.ActionSpec) []Action {
	out := make([]Action, len(as))
	for i, a := range as {
		out[i] = Action{Name: a.Name, Description: a.Description, Input: fields(a.Input)}
	}
	return out
}

func connectorStatus(st plugins.Status) ConnectorStatus {
	out := ConnectorStatus{Name: st.Name, Version: st.Version, State: st.State, Health: st.Health, Restarts: st.Restarts,
		PID: st.PID, Capabilities: st.Capabilities, StartedAt: st.StartedAt, LastError: st.LastError}
	if out.Capabilities == nil {
		out.Capabilities = []string{}
	}
	for _, c := range st.Capabilities {
		if c == "webhooks" {
			out.WebhookPath = "/connectors/" + st.Name + "/webhook"
		}
	}
	return out
}

func (s *Server) listConnectors(w http.ResponseWriter, r *http.Request) {
	list := s.cfg.Plugins.List()
	out := make([]ConnectorStatus, len(list))
	for i, st := range list {
		out[i] = connectorStatus(st)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Server) getConnector(w http.ResponseWriter, r *http.Request) {
	d, ok := s.cfg.Plugins.Inspect(r.PathValue("name"))
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no connector named %q", r.PathValue("name")), "name")
		return
	}
	writeJSON(w, http.StatusOK, ConnectorDetail{ConnectorStatus: connectorStatus(d.Status), Path: d.Path, SHA256: d.SHA256,
		Description: d.Spec.Description, Config: d.Config, ConfigSpec: fields(d.Spec.Config), Actions: actions(d.Spec.Actions), LastExitAt: d.LastExitAt})
}
