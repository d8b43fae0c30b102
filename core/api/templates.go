package api

import (
	"net/http"

	"github.com/parley-hub/parley/core/templates"
)

// templateView is one template in GET /v1/templates.
type templateView struct {
	Name     string              `json:"name"`
	Category string              `json:"category"`
	Variants []templates.Variant `json:"variants"`
}

// listTemplates shows every template Parley knows, configured or reported
// by the platform, with each language's approval status.
func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) {
	reg := s.cfg.Policy.Templates
	if reg == nil {
		s.notFound(w, r)
		return
	}
	names, err := reg.Names(r.Context())
	if err != nil {
		s.internal(w, "list templates", err)
		return
	}
	out := make([]templateView, 0, len(names))
	for _, n := range names {
		vs, err := reg.Variants(r.Context(), n)
		if err != nil {
			s.internal(w, "list templates", err)
			return
		}
		out = append(out, templateView{Name: n, Category: vs[0].Category, Variants: vs})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// syncTemplates pulls the approval statuses from the Cloud API now
// (what parley templates sync asks a running Parley to do).
func (s *Server) syncTemplates(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Policy.SyncTemplates == nil || s.cfg.Policy.Templates == nil {
		s.notFound(w, r)
		return
	}
	n, err := s.cfg.Policy.SyncTemplates(r.Context())
	if err != nil {
		s.cfg.Log.Error("sync templates", "error", err)
		writeError(w, http.StatusBadGateway, "sync_failed", "the Cloud API templates endpoint failed; see the server log", "")
		return
	}
	s.cfg.Policy.Templates.Invalidate()
	writeJSON(w, http.StatusOK, map[string]any{"synced": n})
}
