package api

import (
	"errors"
	"net/http"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

type integrationRequest struct {
	Kind    *inbox.Source     `json:"kind"`
	Name    *string           `json:"name"`
	Enabled *bool             `json:"enabled"`
	Config  map[string]string `json:"config"`
	// Secrets are write-only: a value sets the field, "" removes it,
	// absent fields stay as they are. They are never returned.
	Secrets map[string]string `json:"secrets"`
	Version int64             `json:"version"`
}

func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ins, err := s.eng.Integrations(r.Context(), tenantOf(p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(ins, integrationView)})
	return nil
}

func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	in, err := s.eng.Integration(r.Context(), tenantOf(p), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, integrationView(in))
	return nil
}

// change turns a request into the engine's integration change; the
// engine checks it against the kind's schema and seals the secrets.
func (req integrationRequest) change(test bool) inbox.IntegrationChange {
	c := inbox.IntegrationChange{Name: req.Name, Enabled: req.Enabled, Config: req.Config, Secrets: req.Secrets, Test: test}
	if req.Kind != nil {
		c.Kind = *req.Kind
	}
	return c
}

// testRequested reports whether the caller asked for a connection test
// (?test=true) before saving.
func testRequested(r *http.Request) bool {
	v := r.URL.Query().Get("test")
	return v == "1" || v == "true"
}

func (s *Server) createIntegration(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req integrationRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Kind == nil {
		return inbox.Invalid("kind", "is required")
	}
	in, err := s.eng.CreateIntegration(r.Context(), tenantOf(p), req.change(testRequested(r)), inbox.Change{Actor: p.Actor})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, integrationView(in))
	return nil
}

func (s *Server) patchIntegration(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req integrationRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in, err := s.eng.UpdateIntegration(r.Context(), tenantOf(p), r.PathValue("id"), req.change(testRequested(r)),
		inbox.Change{Actor: p.Actor, Version: req.Version})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, integrationView(in))
	return nil
}

func (s *Server) deleteIntegration(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.eng.DeleteIntegration(r.Context(), tenantOf(p), r.PathValue("id"), inbox.Change{Actor: p.Actor}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) syncIntegration(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	rep, err := s.eng.Sync(r.Context(), tenantOf(p), r.PathValue("id"))
	if errors.Is(err, inbox.ErrUnauthorized) {
		// The mailbox refused the integration's credentials: that is not
		// the caller's session failing, so it must not read as a 401.
		writeProblem(w, r, Problem{Type: typeUpstreamAuth, Title: "The provider refused the integration's credentials",
			Status: http.StatusBadGateway, Detail: err.Error()})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
