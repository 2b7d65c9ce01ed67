package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"

	"github.com/inboxkit/inboxkit/channel/vonage"
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
	// Templates, when present, replace the approved WhatsApp templates.
	Templates *[]inbox.Template `json:"templates"`
	Version   int64             `json:"version"`
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
	c := inbox.IntegrationChange{Name: req.Name, Enabled: req.Enabled, Config: req.Config, Secrets: req.Secrets, Templates: req.Templates, Test: test}
	if req.Kind != nil {
		c.Kind = *req.Kind
	}
	return c
}

// testRequested reports whether a save runs the connection test: always,
// unless the caller asks to save without it (?test=false, "save anyway").
// The engine tests only integrations saved enabled.
func testRequested(r *http.Request) bool {
	v := r.URL.Query().Get("test")
	return v != "0" && v != "false"
}

// changesConnection reports whether req sets how an integration connects
// (a setting or secret given a value, or switching it on): only then does
// an update run the connection test. Renaming, disabling or removing a
// setting does not.
func (req integrationRequest) changesConnection() bool {
	for _, v := range req.Config {
		if v != "" {
			return true
		}
	}
	for _, v := range req.Secrets {
		if v != "" {
			return true
		}
	}
	return req.Enabled != nil && *req.Enabled
}

func (s *Server) createIntegration(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req integrationRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Kind == nil {
		return inbox.Invalid("kind", "is required")
	}
	tenant := tenantOf(p)
	s.integrationsMu.Lock()
	defer s.integrationsMu.Unlock()
	planned := inbox.Integration{TenantID: tenant, Kind: *req.Kind, Enabled: req.Enabled == nil || *req.Enabled}
	if err := s.checkNumber(r.Context(), withConfig(planned, req.Config)); err != nil {
		return err
	}
	in, err := s.eng.CreateIntegration(r.Context(), tenant, req.change(testRequested(r)), inbox.Change{Actor: p.Actor})
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
	tenant, id := tenantOf(p), r.PathValue("id")
	s.integrationsMu.Lock()
	defer s.integrationsMu.Unlock()
	if old, err := s.eng.Integration(r.Context(), tenant, id); err == nil {
		if req.Enabled != nil {
			old.Enabled = *req.Enabled
		}
		if err := s.checkNumber(r.Context(), withConfig(old, req.Config)); err != nil {
			return err
		}
	} // else UpdateIntegration answers
	in, err := s.eng.UpdateIntegration(r.Context(), tenant, id, req.change(testRequested(r) && req.changesConnection()),
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
	if err != nil && !rep.FinishedAt.IsZero() {
		// The sync ran and failed: the provider's fault or the settings',
		// not the caller's request. The reason is in plain words; the
		// details are in the log.
		s.log.Warn("api: sync failed", "integration", r.PathValue("id"), "err", err)
		title := "The sync failed"
		typ := typeSyncFailed
		if errors.Is(err, inbox.ErrUnauthorized) {
			// Not the caller's session failing: it must not read as a 401.
			title, typ = "The provider refused the integration's credentials", typeUpstreamAuth
		}
		writeProblem(w, r, Problem{Type: typ, Title: title, Status: http.StatusBadGateway, Detail: rep.Problem})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// numbered reports whether webhooks of kind are matched to their
// integration by the number that received them (vonage.ConfigFrom).
func numbered(kind inbox.Source) bool {
	return kind == inbox.SourceSMS || kind == inbox.SourceWhatsApp
}

// withConfig returns in with a change's config applied ("" removes a key).
func withConfig(in inbox.Integration, change map[string]string) inbox.Integration {
	cfg := maps.Clone(in.Config)
	if cfg == nil {
		cfg = map[string]string{}
	}
	for k, v := range change {
		if v == "" {
			delete(cfg, k)
		} else {
			cfg[k] = v
		}
	}
	in.Config = cfg
	return in
}

// checkNumber refuses to enable an SMS or WhatsApp integration on a
// receiving number another enabled integration uses: inbound webhooks
// are matched to their integration by that number, so a second
// integration on it would take the first one's messages (another tenant
// registering a company's number) or make its webhooks ambiguous. The
// same tenant may receive SMS and WhatsApp on one number, one integration
// each. The caller holds integrationsMu, so two requests cannot both pass
// the check.
func (s *Server) checkNumber(ctx context.Context, in inbox.Integration) error {
	number := inbox.NormalizePhone(in.Config[vonage.ConfigFrom])
	if !in.Enabled || !numbered(in.Kind) || number == "" {
		return nil
	}
	tenants, err := s.eng.Tenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		others, err := s.eng.Integrations(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.ID == in.ID || !o.Enabled || !numbered(o.Kind) || inbox.NormalizePhone(o.Config[vonage.ConfigFrom]) != number {
				continue
			}
			switch {
			case t.ID != in.TenantID:
				return fmt.Errorf("config.%s: the number %s already receives messages for another company's integration; "+
					"a receiving number can belong to one enabled integration only: %w", vonage.ConfigFrom, number, inbox.ErrConflict)
			case o.Kind == in.Kind:
				return fmt.Errorf("config.%s: the number %s already receives messages for the integration %q; "+
					"a receiving number can belong to one enabled integration only (disable or change that one first): %w",
					vonage.ConfigFrom, number, o.Name, inbox.ErrConflict)
			}
		}
	}
	return nil
}
