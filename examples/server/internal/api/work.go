package api

import (
	"net/http"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

func (s *Server) listDrafts(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := inbox.DraftQuery{ConversationID: r.URL.Query().Get("conversation"), Status: inbox.DraftStatus(r.URL.Query().Get("status"))}
	switch q.Status {
	case "", inbox.DraftPending, inbox.DraftApproved, inbox.DraftRejected, inbox.DraftFailed:
	default:
		return inbox.Invalid("status", "must be pending, approved, rejected or failed")
	}
	ds, err := s.eng.Drafts(r.Context(), tenantOf(p), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(ds, draftView)})
	return nil
}

func (s *Server) approveDraft(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Text    string `json:"text"`
		Version int64  `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	m, err := s.eng.ApproveDraft(r.Context(), tenantOf(p), id, req.Text, change(p, req.Version))
	if err != nil {
		return notFoundAs("draft", id, err)
	}
	writeJSON(w, http.StatusCreated, messageView(m))
	return nil
}

func (s *Server) rejectDraft(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Reason  string `json:"reason"`
		Version int64  `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Reason) > 2000 {
		return inbox.Invalid("reason", "is longer than 2000 bytes")
	}
	id := r.PathValue("id")
	d, err := s.eng.RejectDraft(r.Context(), tenantOf(p), id, req.Reason, change(p, req.Version))
	if err != nil {
		return notFoundAs("draft", id, err)
	}
	writeJSON(w, http.StatusOK, draftView(d))
	return nil
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	open, err := queryBool(r, "open")
	if err != nil {
		return err
	}
	q := inbox.TaskQuery{ConversationID: r.URL.Query().Get("conversation"), Assignee: r.URL.Query().Get("assignee"),
		ProjectID: r.URL.Query().Get("project"), OpenOnly: open}
	if q.Assignee == "me" {
		q.Assignee = p.Actor
	}
	ts, err := s.eng.Tasks(r.Context(), tenantOf(p), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(ts, taskView)})
	return nil
}

func (s *Server) completeTask(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Done    *bool `json:"done"`
		Version int64 `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Done == nil {
		return inbox.Invalid("done", "is required")
	}
	id := r.PathValue("id")
	t, err := s.eng.CompleteTask(r.Context(), tenantOf(p), id, *req.Done, change(p, req.Version))
	if err != nil {
		return notFoundAs("task", id, err)
	}
	writeJSON(w, http.StatusOK, taskView(t))
	return nil
}

func (s *Server) listFollowUps(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := inbox.FollowUpQuery{ConversationID: r.URL.Query().Get("conversation"), Status: inbox.FollowUpStatus(r.URL.Query().Get("status"))}
	switch q.Status {
	case "", inbox.FollowUpPending, inbox.FollowUpDue, inbox.FollowUpDone, inbox.FollowUpCancelled:
	default:
		return inbox.Invalid("status", "must be pending, due, done or cancelled")
	}
	fs, err := s.eng.FollowUps(r.Context(), tenantOf(p), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(fs, followUpView)})
	return nil
}

func (s *Server) closeFollowUp(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Status inbox.FollowUpStatus `json:"status"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	f, err := s.eng.CloseFollowUp(r.Context(), tenantOf(p), id, req.Status, change(p, 0))
	if err != nil {
		return notFoundAs("follow-up", id, err)
	}
	writeJSON(w, http.StatusOK, followUpView(f))
	return nil
}
