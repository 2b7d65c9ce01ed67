package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

func (s *Server) setPriority(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Priority inbox.Priority `json:"priority"`
		Version  int64          `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Priority == "" {
		return inbox.Invalid("priority", "is required: urgent, high, normal or low")
	}
	c, err := s.eng.SetPriority(r.Context(), tenantOf(p), r.PathValue("id"), req.Priority, change(p, req.Version))
	if err != nil {
		return err
	}
	return s.writeConversation(w, r, p, c)
}

// snooze accepts {"until": RFC 3339 time or null, "version"}: null (or
// no until) wakes the conversation now.
func (s *Server) snooze(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Until   *time.Time `json:"until"`
		Version int64      `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var until time.Time
	if req.Until != nil {
		until = *req.Until
	}
	c, err := s.eng.Snooze(r.Context(), tenantOf(p), r.PathValue("id"), until, change(p, req.Version))
	if err != nil {
		return err
	}
	return s.writeConversation(w, r, p, c)
}

// BulkItemView is the outcome of a bulk action for one conversation.
type BulkItemView struct {
	ID           string            `json:"id"`
	OK           bool              `json:"ok"`
	Conversation *ConversationView `json:"conversation,omitempty"`
	Error        *Problem          `json:"error,omitempty"`
}

// bulk applies one action to many conversations; it answers 200 with one
// outcome per id, in the order given, even when some were refused.
func (s *Server) bulk(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Action          inbox.BulkAction `json:"action"`
		ConversationIDs []string         `json:"conversation_ids"`
		Status          inbox.Status     `json:"status"`
		Assignee        string           `json:"assignee"`
		FolderID        string           `json:"folder_id"`
		Until           *time.Time       `json:"until"`
		Priority        inbox.Priority   `json:"priority"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	br := inbox.BulkRequest{Action: req.Action, ConversationIDs: req.ConversationIDs, Status: req.Status,
		Assignee: req.Assignee, FolderID: req.FolderID, Priority: req.Priority, Reader: reader(p)}
	if br.Assignee == "me" {
		br.Assignee = p.Actor
	}
	if req.Until != nil {
		br.Until = *req.Until
	}
	res, err := s.eng.Bulk(r.Context(), tenantOf(p), br, change(p, 0))
	if err != nil {
		return err
	}
	out := make([]BulkItemView, len(res))
	var convs []inbox.Conversation
	var views []*ConversationView
	done := 0
	for i, it := range res {
		out[i] = BulkItemView{ID: it.ConversationID, OK: it.Err == nil}
		if it.Err != nil {
			pr := problemFor(it.Err, s.log)
			pr.Instance = ""
			out[i].Error = &pr
			continue
		}
		done++
		v := conversationView(it.Conversation)
		out[i].Conversation = &v
		convs, views = append(convs, it.Conversation), append(views, &v)
	}
	if err := s.readState(r.Context(), p, convs, nil, views); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out, "done": done, "failed": len(res) - done})
	return nil
}

// next answers the first open conversation of the view the list filters
// describe, other than ?after= (the one just handled); conversation is
// null when no other open work is left.
func (s *Server) next(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	cq, err := parseConversationQuery(r, p)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("sort") == "" {
		cq.Sort = inbox.SortQueue // the work queue's order unless the view has its own
	}
	c, err := s.eng.Next(r.Context(), tenantOf(p), cq, r.URL.Query().Get("after"))
	if err != nil {
		if errors.Is(err, inbox.ErrNotFound) {
			writeJSON(w, http.StatusOK, map[string]any{"conversation": nil})
			return nil
		}
		return err
	}
	v := conversationView(c)
	if err := s.readState(r.Context(), p, []inbox.Conversation{c}, nil, []*ConversationView{&v}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation": v})
	return nil
}
