package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/inboxkit/inboxkit/classify/rules"
	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

func (s *Server) listFolders(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	tenant := tenantOf(p)
	fs, err := s.eng.Folders(r.Context(), tenant)
	if err != nil {
		return err
	}
	counts, err := s.eng.UnreadCounts(r.Context(), tenant)
	if err != nil {
		return err
	}
	errs := s.rules.Errors(tenant)
	out := make([]FolderView, 0, len(fs))
	for _, f := range fs {
		v := folderView(f, counts[f.ID])
		if e := errs[f.ID]; e != nil {
			v.RulesError = e.Error()
		}
		out = append(out, v)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out, "unfiled_unread": counts[""], "total_unread": total})
	return nil
}

func (s *Server) getFolder(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	f, err := s.eng.Folder(r.Context(), tenantOf(p), id)
	if err != nil {
		return notFoundAs("folder", id, err)
	}
	writeJSON(w, http.StatusOK, folderView(f, 0))
	return nil
}

type folderRequest struct {
	Name        *string                  `json:"name"`
	Description *string                  `json:"description"`
	Position    *int                     `json:"position"`
	Rules       json.RawMessage          `json:"rules"`
	AutoReply   *inbox.AutoReplySettings `json:"auto_reply"`
	Version     int64                    `json:"version"`
}

// applyFolder validates req onto f. Rules are compiled before they are
// saved, so a folder never holds rules the classifier would refuse.
func applyFolder(f *inbox.Folder, req folderRequest, t inbox.Tenant) error {
	if req.Name != nil {
		n := strings.TrimSpace(*req.Name)
		if n == "" || len(n) > 100 {
			return inbox.Invalid("name", "must be 1-100 bytes")
		}
		f.Name = n
	}
	if req.Description != nil {
		if len(*req.Description) > 2000 {
			return inbox.Invalid("description", "is longer than 2000 bytes")
		}
		f.Description = strings.TrimSpace(*req.Description)
	}
	if req.Position != nil {
		if *req.Position < 0 || *req.Position > 10_000 {
			return inbox.Invalid("position", "must be from 0 to 10000")
		}
		f.Position = *req.Position
	}
	if req.Rules != nil {
		raw := bytes.TrimSpace(req.Rules)
		if bytes.Equal(raw, []byte("null")) || len(raw) == 0 {
			f.Rules = nil
		} else {
			if _, err := rules.Compile(raw); err != nil {
				var fe *inbox.FieldError
				if errors.As(err, &fe) {
					return inbox.Invalid("rules."+fe.Field, fe.Reason)
				}
				return inbox.Invalid("rules", err.Error())
			}
			f.Rules = json.RawMessage(raw)
		}
	}
	if req.AutoReply != nil {
		ar := *req.AutoReply
		switch ar.Mode {
		case inbox.AutoReplyOff, inbox.AutoReplyAuto, inbox.AutoReplyApproval:
		default:
			return inbox.Invalid("auto_reply.mode", "must be \"\", auto or approve")
		}
		if ar.Mode != inbox.AutoReplyOff && t.Settings.ReplyPrompt == "" {
			return inbox.Invalid("auto_reply.mode", "needs the company reply prompt; set it in settings first")
		}
		if ar.MaxPerContactPerDay < 0 || ar.MaxPerContactPerDay > 100 {
			return inbox.Invalid("auto_reply.max_per_contact_per_day", "must be from 0 to 100")
		}
		if len(ar.Prompt) > 20_000 {
			return inbox.Invalid("auto_reply.prompt", "is longer than 20000 bytes")
		}
		f.AutoReply = ar
	}
	return nil
}

func (s *Server) createFolder(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req folderRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return inbox.Invalid("name", "is required")
	}
	tenant := tenantOf(p)
	t, err := s.eng.Tenant(r.Context(), tenant)
	if err != nil {
		return err
	}
	existing, err := s.eng.Folders(r.Context(), tenant)
	if err != nil {
		return err
	}
	f := inbox.Folder{Position: len(existing)}
	if err := applyFolder(&f, req, t); err != nil {
		return err
	}
	if err := uniqueName(existing, f); err != nil {
		return err
	}
	if f, err = s.eng.SaveFolder(r.Context(), tenant, f, change(p, 0)); err != nil {
		return err
	}
	s.folderChanged(tenant, f.ID)
	writeJSON(w, http.StatusCreated, folderView(f, 0))
	return nil
}

// uniqueName refuses a second folder with the same name (ignoring case).
func uniqueName(existing []inbox.Folder, f inbox.Folder) error {
	for _, o := range existing {
		if o.ID != f.ID && strings.EqualFold(o.Name, f.Name) {
			return inbox.Invalid("name", fmt.Sprintf("a folder named %q exists", o.Name))
		}
	}
	return nil
}

// folderChanged drops cached rules and tells open pages.
func (s *Server) folderChanged(tenant inbox.TenantID, id string) {
	s.rules.Invalidate(tenant, id)
	s.eng.Publish(inbox.Event{Type: "folder.changed", TenantID: tenant, Detail: id, At: s.now()})
}

func (s *Server) patchFolder(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req folderRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	tenant, id := tenantOf(p), r.PathValue("id")
	t, err := s.eng.Tenant(r.Context(), tenant)
	if err != nil {
		return err
	}
	f, err := s.eng.Folder(r.Context(), tenant, id)
	if err != nil {
		return notFoundAs("folder", id, err)
	}
	if req.Version != 0 && req.Version != f.Version {
		return fmt.Errorf("folder %q changed since version %d (now %d): %w", id, req.Version, f.Version, inbox.ErrConflict)
	}
	if err := applyFolder(&f, req, t); err != nil {
		return err
	}
	existing, err := s.eng.Folders(r.Context(), tenant)
	if err != nil {
		return err
	}
	if err := uniqueName(existing, f); err != nil {
		return err
	}
	if f, err = s.eng.SaveFolder(r.Context(), tenant, f, change(p, 0)); err != nil {
		return err
	}
	s.folderChanged(tenant, f.ID)
	writeJSON(w, http.StatusOK, folderView(f, 0))
	return nil
}

func (s *Server) deleteFolder(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	tenant, id := tenantOf(p), r.PathValue("id")
	if err := s.eng.DeleteFolder(r.Context(), tenant, id, change(p, 0)); err != nil {
		return notFoundAs("folder", id, err)
	}
	s.folderChanged(tenant, id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// PreviewMatch is a recent conversation a rule set would match.
type PreviewMatch struct {
	Conversation ConversationView `json:"conversation"`
	Explain      string           `json:"explain"`
}

// previewRules answers "which recent conversations would these rules
// match": the rules are compiled (errors name the offending condition)
// and evaluated against the latest customer message of each of the most
// recent conversations.
func (s *Server) previewRules(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Rules json.RawMessage `json:"rules"`
		Limit int             `json:"limit"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(bytes.TrimSpace(req.Rules)) == 0 {
		return inbox.Invalid("rules", "is required")
	}
	if req.Limit == 0 {
		req.Limit = 200
	}
	if req.Limit < 1 || req.Limit > 500 {
		return inbox.Invalid("limit", "must be from 1 to 500")
	}
	prog, err := rules.Compile(req.Rules)
	if err != nil {
		var fe *inbox.FieldError
		if errors.As(err, &fe) {
			return inbox.Invalid("rules."+fe.Field, fe.Reason)
		}
		return inbox.Invalid("rules", err.Error())
	}
	tenant := tenantOf(p)
	t, err := s.eng.Tenant(r.Context(), tenant)
	if err != nil {
		return err
	}
	folders, err := s.eng.Folders(r.Context(), tenant)
	if err != nil {
		return err
	}
	page, err := s.eng.Conversations(r.Context(), tenant, inbox.ConversationQuery{Limit: req.Limit})
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(page.Items))
	for _, c := range page.Items {
		ids = append(ids, c.ContactID)
	}
	contacts, err := s.eng.ContactsByID(r.Context(), tenant, ids)
	if err != nil {
		return err
	}
	matches := []PreviewMatch{}
	scanned := 0
	for _, c := range page.Items {
		msgs, err := s.eng.Messages(r.Context(), tenant, c.ID)
		if errors.Is(err, inbox.ErrNotFound) {
			continue // merged or deleted since the list was read
		}
		if err != nil {
			return err
		}
		var last *inbox.Message
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].Direction == inbox.DirectionIn {
				last = &msgs[i]
				break
			}
		}
		if last == nil {
			continue
		}
		scanned++
		contact := contacts[c.ContactID]
		env := rules.NewEnv(inbox.ClassifyInput{Tenant: t, Conversation: c, Message: *last, Contact: contact, Folders: folders})
		ok, err := prog.Match(env)
		if err != nil || !ok {
			continue
		}
		v := conversationView(c)
		v.Contact = contactRef(contact)
		matches = append(matches, PreviewMatch{Conversation: v, Explain: prog.Explain(env)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"scanned": scanned, "matched": len(matches), "items": matches})
	return nil
}
