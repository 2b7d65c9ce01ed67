package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strings"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

var fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

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
	var out []IntegrationView
	err := s.eng.Store().View(r.Context(), tenantOf(p), func(tx inbox.Tx) error {
		ins, err := tx.ListIntegrations()
		out = mapSlice(ins, integrationView)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	var in inbox.Integration
	err := s.eng.Store().View(r.Context(), tenantOf(p), func(tx inbox.Tx) error {
		var err error
		in, err = tx.GetIntegration(id)
		return notFoundAs("integration", id, err)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, integrationView(in))
	return nil
}

// applyIntegration validates req onto in, sealing secrets.
func (s *Server) applyIntegration(ctx context.Context, tenant inbox.TenantID, in *inbox.Integration, req integrationRequest) error {
	if req.Name != nil {
		n := strings.TrimSpace(*req.Name)
		if n == "" || len(n) > 200 {
			return inbox.Invalid("name", "must be 1-200 bytes")
		}
		in.Name = n
	}
	if req.Enabled != nil {
		in.Enabled = *req.Enabled
	}
	for k, v := range req.Config {
		if !fieldName.MatchString(k) {
			return inbox.Invalid("config."+k, "keys are lower-case letters, digits and _")
		}
		if looksSecret(k) {
			return inbox.Invalid("config."+k, "looks like a secret; send it in secrets, which are sealed and never shown")
		}
		if len(v) > 4096 {
			return inbox.Invalid("config."+k, "is longer than 4096 bytes")
		}
		if in.Config == nil {
			in.Config = map[string]string{}
		}
		if v == "" {
			delete(in.Config, k)
		} else {
			in.Config[k] = v
		}
	}
	for k, v := range req.Secrets {
		if !fieldName.MatchString(k) {
			return inbox.Invalid("secrets."+k, "keys are lower-case letters, digits and _")
		}
		if v == "" {
			delete(in.Secrets, k)
			continue
		}
		if s.sealer == nil {
			return fmt.Errorf("secrets cannot be stored: no master key is configured: %w", inbox.ErrUnsupported)
		}
		sealed, err := s.sealer.Seal(ctx, []byte(v), inbox.SealContext{Tenant: tenant, IntegrationID: in.ID, Field: k})
		if err != nil {
			return fmt.Errorf("seal secrets.%s: %w", k, err)
		}
		if in.Secrets == nil {
			in.Secrets = map[string][]byte{}
		}
		in.Secrets[k] = sealed
	}
	return nil
}

func looksSecret(k string) bool {
	for _, w := range []string{"password", "secret", "token", "private_key", "api_key_secret"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

func (s *Server) createIntegration(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req integrationRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Kind == nil || !req.Kind.Valid() {
		return inbox.Invalid("kind", "must be email, sms, whatsapp or webhook")
	}
	if req.Name == nil {
		return inbox.Invalid("name", "is required")
	}
	tenant := tenantOf(p)
	in := inbox.Integration{ID: inbox.NewID(), TenantID: tenant, Kind: *req.Kind, Enabled: true}
	if err := s.applyIntegration(r.Context(), tenant, &in, req); err != nil {
		return err
	}
	now := s.now()
	in.CreatedAt, in.UpdatedAt = now, now
	err := s.eng.Store().Update(r.Context(), tenant, func(tx inbox.Tx) error {
		if err := tx.CreateIntegration(&in); err != nil {
			return err
		}
		return tx.AppendAudit(inbox.AuditEntry{TenantID: tenant, Actor: p.Actor, Action: "integration.create", EntityType: "integration",
			EntityID: in.ID, After: mustJSON(integrationView(in)), At: now})
	})
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
	if req.Kind != nil {
		return inbox.Invalid("kind", "cannot be changed; create another integration")
	}
	tenant, id := tenantOf(p), r.PathValue("id")
	var out inbox.Integration
	err := s.eng.Store().Update(r.Context(), tenant, func(tx inbox.Tx) error {
		in, err := tx.GetIntegration(id)
		if err != nil {
			return notFoundAs("integration", id, err)
		}
		if req.Version != 0 && req.Version != in.Version {
			return fmt.Errorf("integration %q changed since version %d (now %d): %w", id, req.Version, in.Version, inbox.ErrConflict)
		}
		before := integrationView(in)
		in.Config = maps.Clone(in.Config)
		in.Secrets = maps.Clone(in.Secrets)
		if err := s.applyIntegration(r.Context(), tenant, &in, req); err != nil {
			return err
		}
		in.UpdatedAt = s.now()
		if err := tx.UpdateIntegration(&in); err != nil {
			return err
		}
		out = in
		return tx.AppendAudit(inbox.AuditEntry{TenantID: tenant, Actor: p.Actor, Action: "integration.update", EntityType: "integration",
			EntityID: in.ID, Before: mustJSON(before), After: mustJSON(integrationView(in)), At: in.UpdatedAt})
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, integrationView(out))
	return nil
}

func (s *Server) deleteIntegration(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	tenant, id := tenantOf(p), r.PathValue("id")
	err := s.eng.Store().Update(r.Context(), tenant, func(tx inbox.Tx) error {
		in, err := tx.GetIntegration(id)
		if err != nil {
			return notFoundAs("integration", id, err)
		}
		if err := tx.DeleteIntegration(id); err != nil {
			return err
		}
		return tx.AppendAudit(inbox.AuditEntry{TenantID: tenant, Actor: p.Actor, Action: "integration.delete", EntityType: "integration",
			EntityID: id, Before: mustJSON(integrationView(in)), At: s.now()})
	})
	if err != nil {
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
