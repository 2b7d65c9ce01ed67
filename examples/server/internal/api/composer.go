package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// The composer's helpers — the team's saved replies and each agent's
// signature — are the reference server's own settings: they live in the
// tenant's host-defined settings (TenantSettings.Extra), which inboxkit
// keeps without interpreting.

// SavedReply is a canned answer agents insert into the composer.
type SavedReply struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// composerSettings is the part of TenantSettings.Extra this file owns;
// other keys are kept as they are.
type composerSettings struct {
	SavedReplies []SavedReply      `json:"saved_replies,omitempty"`
	Signatures   map[string]string `json:"signatures,omitempty"`
}

// Limits of the composer's settings.
const (
	maxSavedReplies   = 200
	maxSavedReplyText = 10_000
	maxSignature      = 2_000
)

func readComposer(t inbox.Tenant) (composerSettings, map[string]json.RawMessage) {
	var all map[string]json.RawMessage
	_ = json.Unmarshal(t.Settings.Extra, &all)
	if all == nil {
		all = map[string]json.RawMessage{}
	}
	var c composerSettings
	_ = json.Unmarshal(all["saved_replies"], &c.SavedReplies)
	_ = json.Unmarshal(all["signatures"], &c.Signatures)
	return c, all
}

// updateComposer applies edit to the tenant's composer settings and saves
// them, keeping the other host settings.
func (s *Server) updateComposer(r *http.Request, p auth.Principal, edit func(*composerSettings)) (composerSettings, error) {
	t, err := s.eng.Tenant(r.Context(), tenantOf(p))
	if err != nil {
		return composerSettings{}, err
	}
	c, all := readComposer(t)
	edit(&c)
	for k, v := range map[string]any{"saved_replies": c.SavedReplies, "signatures": c.Signatures} {
		raw, err := json.Marshal(v)
		if err != nil {
			return composerSettings{}, err
		}
		all[k] = raw
	}
	extra, err := json.Marshal(all)
	if err != nil {
		return composerSettings{}, err
	}
	t.Settings.Extra = extra
	if _, err := s.eng.UpdateSettings(r.Context(), t.ID, t.Settings, change(p, 0)); err != nil {
		return composerSettings{}, err
	}
	return c, nil
}

func (s *Server) listSavedReplies(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	t, err := s.eng.Tenant(r.Context(), tenantOf(p))
	if err != nil {
		return err
	}
	c, _ := readComposer(t)
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(c.SavedReplies)})
	return nil
}

// putSavedReplies replaces the team's saved replies (admin).
func (s *Server) putSavedReplies(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Items []SavedReply `json:"items"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Items) > maxSavedReplies {
		return inbox.Invalid("items", fmt.Sprintf("at most %d saved replies", maxSavedReplies))
	}
	for i := range req.Items {
		it := &req.Items[i]
		it.Title, it.Text = strings.TrimSpace(it.Title), strings.TrimSpace(it.Text)
		switch {
		case it.Title == "" || len(it.Title) > 200:
			return inbox.Invalid(fmt.Sprintf("items[%d].title", i), "must be 1-200 bytes")
		case it.Text == "" || len(it.Text) > maxSavedReplyText || !utf8.ValidString(it.Text):
			return inbox.Invalid(fmt.Sprintf("items[%d].text", i), fmt.Sprintf("must be 1-%d bytes of text", maxSavedReplyText))
		}
	}
	c, err := s.updateComposer(r, p, func(c *composerSettings) { c.SavedReplies = req.Items })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(c.SavedReplies)})
	return nil
}

// signatureOf is an employee's signature, "" when none.
func (s *Server) signatureOf(r *http.Request, p auth.Principal) string {
	t, err := s.eng.Tenant(r.Context(), tenantOf(p))
	if err != nil {
		return ""
	}
	c, _ := readComposer(t)
	return c.Signatures[p.Actor]
}

func (s *Server) getSignature(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	writeJSON(w, http.StatusOK, map[string]string{"signature": s.signatureOf(r, p)})
	return nil
}

// putSignature sets the caller's own signature ("" removes it).
func (s *Server) putSignature(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Signature string `json:"signature"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sig := strings.TrimSpace(req.Signature)
	if len(sig) > maxSignature || !utf8.ValidString(sig) {
		return inbox.Invalid("signature", fmt.Sprintf("must be at most %d bytes of text", maxSignature))
	}
	if p.Session == nil {
		return fmt.Errorf("a signature belongs to a person, not an API token: %w", errForbidden)
	}
	if _, err := s.updateComposer(r, p, func(c *composerSettings) {
		if c.Signatures == nil {
			c.Signatures = map[string]string{}
		}
		if sig == "" {
			delete(c.Signatures, p.Actor)
		} else {
			c.Signatures[p.Actor] = sig
		}
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"signature": sig})
	return nil
}
