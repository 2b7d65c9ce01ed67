package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	q := r.URL.Query().Get("q")
	if len(q) > inbox.MaxSearchBytes {
		return inbox.Invalid("q", fmt.Sprintf("is longer than %d bytes", inbox.MaxSearchBytes))
	}
	page, err := s.eng.Contacts(r.Context(), tenantOf(p), inbox.ContactQuery{Search: q, Limit: limit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(page.Items, contactView), "next_cursor": page.NextCursor})
	return nil
}

// ContactPanelView is the client panel: the contact and its history.
type ContactPanelView struct {
	Contact       ContactView        `json:"contact"`
	Conversations []ConversationView `json:"conversations"`
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	panel, err := s.eng.Contact(r.Context(), tenantOf(p), id)
	if err != nil {
		return notFoundAs("contact", id, err)
	}
	writeJSON(w, http.StatusOK, ContactPanelView{Contact: contactView(panel.Contact), Conversations: mapSlice(panel.Conversations, conversationView)})
	return nil
}

func (s *Server) patchContact(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Name       *string   `json:"name"`
		Emails     *[]string `json:"emails"`
		Phones     *[]string `json:"phones"`
		ExternalID *string   `json:"external_id"`
		Version    int64     `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	c, err := s.eng.ContactRecord(r.Context(), tenantOf(p), id)
	if err != nil {
		return notFoundAs("contact", id, err)
	}
	if req.Name != nil {
		if len(*req.Name) > 200 {
			return inbox.Invalid("name", "is longer than 200 bytes")
		}
		c.Name = strings.TrimSpace(*req.Name)
	}
	if req.Emails != nil {
		for i, e := range *req.Emails {
			if !strings.Contains(e, "@") {
				return inbox.Invalid("emails["+strconv.Itoa(i)+"]", "is not an email address")
			}
		}
		c.Emails = *req.Emails
	}
	if req.Phones != nil {
		for i, ph := range *req.Phones {
			if len(inbox.NormalizePhone(ph)) < 6 {
				return inbox.Invalid("phones["+strconv.Itoa(i)+"]", "is not a phone number")
			}
		}
		c.Phones = *req.Phones
	}
	if req.ExternalID != nil {
		c.ExternalID = *req.ExternalID
	}
	if req.Version != 0 {
		c.Version = req.Version
	}
	out, err := s.eng.UpdateContact(r.Context(), tenantOf(p), c, change(p, 0))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, contactView(out))
	return nil
}

func (s *Server) mergeContacts(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		DropID string `json:"drop_id"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.DropID == "" {
		return inbox.Invalid("drop_id", "is required")
	}
	c, err := s.eng.MergeContacts(r.Context(), tenantOf(p), r.PathValue("id"), req.DropID, change(p, 0))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, contactView(c))
	return nil
}
