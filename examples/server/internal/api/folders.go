package api

import (
	"bytes"
	"context"
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
	team, err := s.eng.UnreadCounts(r.Context(), tenant)
	if err != nil {
		return err
	}
	counts := team // an API token sees the team's counts
	if agent := reader(p); agent != "" {
		// a logged-in agent's badges are their own
		if counts, err = s.eng.ReaderUnreadCounts(r.Context(), tenant, agent); err != nil {
			return err
		}
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
	total, teamTotal := 0, 0
	for _, n := range counts {
		total += n
	}
	for _, n := range team {
		teamTotal += n
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out, "unfiled_unread": counts[""], "total_unread": total, "team_total_unread": teamTotal})
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
// recent conversations. Any agent may ask and rules may hold raw
// expressions, so a preview is bounded (PreviewLimits): previews beyond a
// tenant's concurrency or rate get 429, and one preview evaluates at most
// MaxConversations within Timeout, stopping early when the rules keep
// exceeding their evaluation budget; a stopped preview answers what it
// evaluated, marked partial, with a note saying why.
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
	done, wait, why := s.previews.admit(tenant)
	if done == nil {
		tooMany(w, r, wait, why)
		return nil
	}
	defer done()
	limits := s.previews.limits
	ctx, cancel := context.WithTimeout(r.Context(), limits.Timeout)
	defer cancel()

	var notes []string
	limit := min(req.Limit, limits.MaxConversations)
	t, err := s.eng.Tenant(ctx, tenant)
	if err != nil {
		return err
	}
	folders, err := s.eng.Folders(ctx, tenant)
	if err != nil {
		return err
	}
	page, err := s.eng.Conversations(ctx, tenant, inbox.ConversationQuery{Limit: limit})
	if err != nil {
		return err
	}
	if limit < req.Limit && len(page.Items) == limit {
		notes = append(notes, fmt.Sprintf("a preview evaluates the %d most recent conversations at most", limit))
	}
	ids := make([]string, 0, len(page.Items))
	for _, c := range page.Items {
		ids = append(ids, c.ContactID)
	}
	contacts, err := s.eng.ContactsByID(ctx, tenant, ids)
	if err != nil {
		return err
	}
	explain := explainer(prog, req.Rules)
	matches := []PreviewMatch{}
	scanned, failed, overBudget := 0, 0, 0
	stopped := ""
	for _, c := range page.Items {
		if ctx.Err() != nil {
			stopped = "time"
			break
		}
		msgs, err := s.eng.Messages(ctx, tenant, c.ID)
		if errors.Is(err, inbox.ErrNotFound) {
			continue // merged or deleted since the list was read
		}
		if ctx.Err() != nil {
			stopped = "time"
			break
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
		contact := contacts[c.ContactID]
		env := rules.NewEnv(inbox.ClassifyInput{Tenant: t, Conversation: c, Message: *last, Contact: contact, Folders: folders})
		ok, err := prog.MatchContext(ctx, env)
		if ctx.Err() != nil {
			stopped = "time"
			break
		}
		scanned++
		if err != nil {
			failed++
			if errors.Is(err, rules.ErrBudget) {
				if overBudget++; overBudget >= limits.MaxBudgetErrors {
					stopped = "budget"
					break
				}
			}
			continue
		}
		if !ok {
			continue
		}
		why, ok := explain(ctx, env)
		if !ok {
			stopped = "time"
			break
		}
		v := conversationView(c)
		v.Contact = contactRef(contact)
		matches = append(matches, PreviewMatch{Conversation: v, Explain: why})
	}
	switch stopped {
	case "time":
		notes = append(notes, fmt.Sprintf("stopped after %d of %d conversations: a preview may take %s", scanned, len(page.Items), limits.Timeout))
	case "budget":
		notes = append(notes, fmt.Sprintf("stopped after %d of %d conversations: the rules exceeded their evaluation budget on %d messages and would on the others",
			scanned, len(page.Items), overBudget))
	}
	out := map[string]any{"scanned": scanned, "matched": len(matches), "failed": failed, "items": matches, "partial": len(notes) > 0}
	if len(notes) > 0 {
		out["note"] = strings.Join(notes, "; ")
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// explainer returns how a preview names the condition that made a
// message match, as Program.Explain does (for a root "any" group, the
// first child that matches), but within the preview's context: Explain
// evaluates each child again with a budget of its own, which for a large
// group of raw expressions is many budgets. ok is false when ctx ended.
func explainer(prog *rules.Program, raw json.RawMessage) func(ctx context.Context, env *rules.Env) (why string, ok bool) {
	var children []*rules.Program
	var rs rules.RuleSet
	if json.Unmarshal(raw, &rs) == nil && len(rs.Any) > 1 {
		for _, child := range rs.Any {
			rawChild, err := json.Marshal(child)
			if err != nil {
				children = nil
				break
			}
			p, err := rules.Compile(rawChild)
			if err != nil {
				children = nil
				break
			}
			children = append(children, p)
		}
	}
	return func(ctx context.Context, env *rules.Env) (string, bool) {
		for _, child := range children {
			ok, err := child.MatchContext(ctx, env)
			if ctx.Err() != nil {
				return "", false
			}
			if err == nil && ok {
				return child.String(), true
			}
		}
		return prog.String(), true
	}
}
