package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/attach"
)

// Upload limits for reply attachments.
const (
	maxUploadFiles = 10
	maxUploadBytes = 25 << 20
)

func change(p auth.Principal, version int64) inbox.Change {
	return inbox.Change{Actor: p.Actor, Version: version}
}

// writeConversation answers c as the principal sees it (their own read
// state when they are a logged-in agent).
func (s *Server) writeConversation(w http.ResponseWriter, r *http.Request, p auth.Principal, c inbox.Conversation) error {
	v := conversationView(c)
	if err := s.readState(r.Context(), p, []inbox.Conversation{c}, nil, []*ConversationView{&v}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// reader is whose read state the principal sees: a logged-in agent's
// own; "" for an API token, which sees the team's.
func reader(p auth.Principal) string {
	if p.Session == nil {
		return ""
	}
	return p.Actor
}

// readState sets the views' Unread to what the principal's reader sees:
// unread (at least 1) or read (0) for that agent. flags, when known
// (ConversationPage.ReaderUnread of the list convs came from), saves the
// lookup. API tokens keep the team's count.
func (s *Server) readState(ctx context.Context, p auth.Principal, convs []inbox.Conversation, flags map[string]bool, views []*ConversationView) error {
	agent := reader(p)
	if agent == "" || len(convs) == 0 {
		return nil
	}
	if flags == nil {
		var err error
		if flags, err = s.eng.ReaderUnread(ctx, tenantOf(p), agent, convs...); err != nil {
			return err
		}
	}
	for i, c := range convs {
		views[i].Unread = 0
		if flags[c.ID] {
			views[i].Unread = max(c.Unread, 1)
		}
	}
	return nil
}

// replyRequest is a reply as the page sends it.
type replyRequest struct {
	Text    string `json:"text"`
	Version int64  `json:"version"`
	// SeenMessageID is the newest message the agent had in front of them
	// when they started writing. A message stored after it makes the
	// reply stale: it is refused with the newer messages, unless Force.
	SeenMessageID string `json:"seen_message_id"`
	Force         bool   `json:"force"`
	// Cc and Bcc copy an email reply to other addresses.
	Cc  []string `json:"cc"`
	Bcc []string `json:"bcc"`
	// Template sends an approved WhatsApp template instead of text.
	Template *inbox.TemplateChoice `json:"template"`
}

// parties turns addresses into recipients.
func parties(addrs []string) []inbox.Party {
	var out []inbox.Party
	for _, a := range addrs {
		out = append(out, inbox.Party{Email: a})
	}
	return out
}

// reply accepts JSON {"text", "version", "seen_message_id", "force"} or
// multipart/form-data with the same fields and files named "attachments".
// Every file is validated (type sniffed, size, dangerous content) and
// stored before the reply is queued; if any is refused or the reply
// fails, the stored files are removed again, so nothing is half-applied.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	tenant, id := tenantOf(p), r.PathValue("id")
	var req replyRequest
	var atts []inbox.Attachment
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		var err error
		req, atts, err = s.readMultipartReply(w, r, tenant)
		if err != nil {
			return err
		}
	} else if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.SeenMessageID != "" && !req.Force {
		newer, err := s.newerMessages(r.Context(), tenant, id, req.SeenMessageID)
		if err != nil {
			s.dropBlobs(atts)
			return notFoundAs("conversation", id, err)
		}
		if len(newer) > 0 {
			s.dropBlobs(atts)
			writeProblem(w, r, Problem{Type: typeStaleThread, Title: "The conversation moved on", Status: http.StatusConflict,
				Detail: newer[len(newer)-1].Summary + "; send again with force to send anyway", Newer: newer})
			return nil
		}
	}
	msg, err := s.eng.Reply(r.Context(), tenant, id, inbox.ReplyRequest{Text: req.Text, Attachments: atts, Cc: parties(req.Cc), Bcc: parties(req.Bcc), Template: req.Template}, change(p, req.Version))
	if err != nil {
		s.dropBlobs(atts)
		return notFoundAs("conversation", id, err)
	}
	writeJSON(w, http.StatusCreated, messageView(msg))
	return nil
}

// NewerMessage is a message stored after the one an agent had seen when
// they started a reply.
type NewerMessage struct {
	ID        string          `json:"id"`
	Direction inbox.Direction `json:"direction"`
	// AuthorID is the employee who wrote an outgoing message, if one did.
	AuthorID string `json:"author_id,omitempty"`
	// Who is the author's display name: an employee, the customer or
	// "Auto-reply".
	Who       string    `json:"who"`
	CreatedAt time.Time `json:"created_at"`
	// Summary says it in a sentence: "Claire Martin replied".
	Summary string `json:"summary"`
}

// newerMessages lists the conversation's messages stored after seenID, oldest
// first. An unknown seenID (the message was split away) finds none.
func (s *Server) newerMessages(ctx context.Context, tenant inbox.TenantID, convID, seenID string) ([]NewerMessage, error) {
	msgs, err := s.eng.Messages(ctx, tenant, convID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(msgs, func(m inbox.Message) bool { return m.ID == seenID })
	if i < 0 {
		return nil, nil
	}
	seen := msgs[i]
	var out []NewerMessage
	for _, m := range msgs {
		if m.ID == seen.ID || !m.CreatedAt.After(seen.CreatedAt) {
			continue
		}
		n := NewerMessage{ID: m.ID, Direction: m.Direction, AuthorID: m.AuthorID, CreatedAt: m.CreatedAt}
		switch {
		case m.Direction == inbox.DirectionIn:
			n.Who = cmp.Or(m.From.Name, m.From.Email, m.From.Phone, "The customer")
			n.Summary = n.Who + " wrote again"
		case m.AuthorID != "":
			n.Who = s.employeeName(tenant, m.AuthorID)
			n.Summary = n.Who + " replied"
		case m.Author == inbox.AuthorAutoReply:
			n.Who = "Auto-reply"
			n.Summary = "An automatic reply was sent"
		default:
			n.Who = "A colleague"
			n.Summary = "A colleague replied"
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b NewerMessage) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func (s *Server) readMultipartReply(w http.ResponseWriter, r *http.Request, tenant inbox.TenantID) (replyRequest, []inbox.Attachment, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadFiles*maxUploadBytes+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return replyRequest{}, nil, inbox.Invalid("body", "is not valid multipart/form-data")
	}
	var req replyRequest
	var atts []inbox.Attachment
	fail := func(err error) (replyRequest, []inbox.Attachment, error) {
		s.dropBlobs(atts)
		return replyRequest{}, nil, err
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				return fail(tooLarge("attachments", "the upload is too large"))
			}
			return fail(bodyReadError(err, inbox.Invalid("body", "is not valid multipart/form-data")))
		}
		switch part.FormName() {
		case "text":
			b, err := io.ReadAll(io.LimitReader(part, inbox.MaxReplyBytes+1))
			if err != nil {
				return fail(inbox.Invalid("text", "could not be read"))
			}
			req.Text = string(b)
		case "version":
			b, _ := io.ReadAll(io.LimitReader(part, 32))
			if req.Version, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err != nil {
				return fail(inbox.Invalid("version", "must be an integer"))
			}
		case "cc", "bcc":
			b, _ := io.ReadAll(io.LimitReader(part, 8<<10))
			for _, a := range strings.Split(string(b), ",") {
				if a = strings.TrimSpace(a); a == "" {
					continue
				}
				if part.FormName() == "cc" {
					req.Cc = append(req.Cc, a)
				} else {
					req.Bcc = append(req.Bcc, a)
				}
			}
		case "seen_message_id":
			b, _ := io.ReadAll(io.LimitReader(part, 128))
			req.SeenMessageID = strings.TrimSpace(string(b))
		case "force":
			b, _ := io.ReadAll(io.LimitReader(part, 8))
			if req.Force, err = strconv.ParseBool(strings.TrimSpace(string(b))); err != nil {
				return fail(inbox.Invalid("force", "must be true or false"))
			}
		case "attachments":
			field := fmt.Sprintf("attachments[%d]", len(atts))
			if len(atts) == maxUploadFiles {
				return fail(inbox.Invalid("attachments", fmt.Sprintf("at most %d files", maxUploadFiles)))
			}
			if s.eng.Blobs() == nil {
				return fail(fmt.Errorf("attachments cannot be stored: no blob store: %w", inbox.ErrUnsupported))
			}
			res, err := attach.Validate(r.Context(), part.FileName(), part.Header.Get("Content-Type"), part,
				attach.Options{MaxSize: maxUploadBytes, Store: s.eng.Blobs(), Tenant: tenant})
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fail(errBodyTimeout)
			}
			if err != nil {
				reason := res.Attachment.Rejected
				var maxErr *http.MaxBytesError
				var fe *inbox.FieldError
				// Over the whole upload's limit, or over the file's own
				// (attach names the field "size"): 413.
				big := errors.As(err, &maxErr) || (errors.As(err, &fe) && fe.Field == "size")
				if reason == "" {
					reason = "could not be read"
					if big {
						reason = "the upload is too large"
					}
				}
				reason = fmt.Sprintf("%s: %s", attach.SanitizeFilename(part.FileName()), reason)
				if big {
					return fail(tooLarge(field, reason))
				}
				return fail(inbox.Invalid(field, reason))
			}
			a := res.Attachment
			a.ID = inbox.NewID()
			atts = append(atts, a)
		default:
			return fail(inbox.Invalid(part.FormName(), "is not a known field"))
		}
	}
	return req, atts, nil
}

// dropBlobs removes uploaded files of a request that failed.
func (s *Server) dropBlobs(atts []inbox.Attachment) {
	if s.eng.Blobs() == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, a := range atts {
		if a.BlobKey != "" {
			_ = s.eng.Blobs().Delete(ctx, a.BlobKey)
		}
	}
}

type versioned struct {
	Version int64 `json:"version"`
}

func (s *Server) setStatus(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Status  inbox.Status `json:"status"`
		Version int64        `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.eng.SetStatus(r.Context(), tenantOf(p), r.PathValue("id"), req.Status, change(p, req.Version))
	if err != nil {
		return err
	}
	return s.writeConversation(w, r, p, c)
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Assignee string `json:"assignee"`
		Version  int64  `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.eng.Assign(r.Context(), tenantOf(p), r.PathValue("id"), req.Assignee, change(p, req.Version))
	if err != nil {
		return err
	}
	return s.writeConversation(w, r, p, c)
}

func (s *Server) move(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		FolderID string `json:"folder_id"`
		Version  int64  `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.eng.Move(r.Context(), tenantOf(p), r.PathValue("id"), req.FolderID, change(p, req.Version))
	if err != nil {
		return err
	}
	return s.writeConversation(w, r, p, c)
}

// markRead accepts {"read": bool, "version", "team": bool}. A logged-in
// agent marks the conversation read or unread for themselves only, unless
// team; an API token sets the team's read state.
func (s *Server) markRead(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Read    *bool `json:"read"`
		Version int64 `json:"version"`
		Team    bool  `json:"team"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Read == nil {
		return inbox.Invalid("read", "is required")
	}
	var c inbox.Conversation
	var err error
	if agent := reader(p); agent != "" && !req.Team {
		c, err = s.eng.MarkReadFor(r.Context(), tenantOf(p), r.PathValue("id"), agent, *req.Read)
	} else {
		c, err = s.eng.MarkRead(r.Context(), tenantOf(p), r.PathValue("id"), *req.Read, change(p, req.Version))
	}
	if err != nil {
		return err
	}
	return s.writeConversation(w, r, p, c)
}

func (s *Server) setTags(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Tags    []string `json:"tags"`
		Version int64    `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Tags == nil {
		return inbox.Invalid("tags", "is required (an empty array clears them)")
	}
	c, err := s.eng.SetTags(r.Context(), tenantOf(p), r.PathValue("id"), req.Tags, change(p, req.Version))
	if err != nil {
		return err
	}
	return s.writeConversation(w, r, p, c)
}

func (s *Server) link(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		ProjectID string            `json:"project_id"`
		Refs      map[string]string `json:"external_refs"`
		Version   int64             `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if len(req.ProjectID) > 200 {
		return inbox.Invalid("project_id", "is longer than 200 bytes")
	}
	c, err := s.eng.LinkProject(r.Context(), tenantOf(p), r.PathValue("id"), req.ProjectID, req.Refs, change(p, req.Version))
	if err != nil {
		return err
	}
	return s.writeConversation(w, r, p, c)
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Body    string `json:"body"`
		Version int64  `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	n, err := s.eng.AddNote(r.Context(), tenantOf(p), r.PathValue("id"), req.Body, change(p, req.Version))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, noteView(n))
	return nil
}

func (s *Server) merge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		SourceID string `json:"source_id"`
		Version  int64  `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.SourceID == "" {
		return inbox.Invalid("source_id", "is required")
	}
	c, err := s.eng.Merge(r.Context(), tenantOf(p), r.PathValue("id"), req.SourceID, change(p, req.Version))
	if err != nil {
		return err
	}
	return s.writeConversation(w, r, p, c)
}

func (s *Server) split(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req versioned
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.eng.Split(r.Context(), tenantOf(p), r.PathValue("id"), change(p, req.Version))
	if err != nil {
		return notFoundAs("message", r.PathValue("id"), err)
	}
	writeJSON(w, http.StatusCreated, conversationView(c))
	return nil
}

func (s *Server) createTask(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Title     string     `json:"title"`
		Assignee  string     `json:"assignee"`
		DueAt     *time.Time `json:"due_at"`
		ProjectID string     `json:"project_id"`
		Version   int64      `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	tr := inbox.TaskRequest{Title: req.Title, Assignee: req.Assignee, ProjectID: req.ProjectID}
	if req.DueAt != nil {
		tr.DueAt = *req.DueAt
	}
	t, err := s.eng.CreateTask(r.Context(), tenantOf(p), r.PathValue("id"), tr, change(p, req.Version))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, taskView(t))
	return nil
}

func (s *Server) scheduleFollowUp(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		DueAt     *time.Time `json:"due_at"`
		Note      string     `json:"note"`
		Assignee  string     `json:"assignee"`
		IfNoReply bool       `json:"if_no_reply"`
		Version   int64      `json:"version"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.DueAt == nil {
		return inbox.Invalid("due_at", "is required")
	}
	f, err := s.eng.ScheduleFollowUp(r.Context(), tenantOf(p), r.PathValue("id"),
		inbox.FollowUpRequest{DueAt: *req.DueAt, Note: req.Note, Assignee: req.Assignee, IfNoReply: req.IfNoReply}, change(p, req.Version))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, followUpView(f))
	return nil
}

func (s *Server) classify(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	d, err := s.eng.Classify(r.Context(), tenantOf(p), r.PathValue("id"))
	if err != nil {
		return notFoundAs("conversation", r.PathValue("id"), err)
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) summarize(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if s.summary == nil {
		return fmt.Errorf("summaries need an AI model; start the server with an OpenAI API key: %w", inbox.ErrUnsupported)
	}
	id := r.PathValue("id")
	text, err := s.summary.Summarize(r.Context(), tenantOf(p), id)
	if err != nil {
		return notFoundAs("conversation", id, err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"conversation_id": id, "summary": text})
	return nil
}

func (s *Server) conversationAudit(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	if _, err := s.eng.Conversation(r.Context(), tenantOf(p), id); err != nil {
		return notFoundAs("conversation", id, err)
	}
	es, err := s.eng.Audit(r.Context(), tenantOf(p), inbox.AuditQuery{ConversationID: id, Limit: 200})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": s.auditViews(r.Context(), tenantOf(p), es)})
	return nil
}

// attachment streams a stored attachment. It is always served as a
// download with the sniffed type and nosniff, so an uploaded HTML file
// can never run as a page of this origin.
func (s *Server) attachment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	msgID, attID := r.PathValue("id"), r.PathValue("att")
	m, err := s.eng.Message(r.Context(), tenantOf(p), msgID)
	if err != nil {
		return notFoundAs("message", msgID, err)
	}
	var a *inbox.Attachment
	for i := range m.Attachments {
		if m.Attachments[i].ID == attID && m.Attachments[i].BlobKey != "" && m.Attachments[i].Rejected == "" {
			a = &m.Attachments[i]
		}
	}
	if a == nil {
		return fmt.Errorf("attachment %q: %w", attID, inbox.ErrNotFound)
	}
	if s.eng.Blobs() == nil {
		return fmt.Errorf("no blob store: %w", inbox.ErrUnsupported)
	}
	rc, err := s.eng.Blobs().Get(r.Context(), a.BlobKey)
	if err != nil {
		return err
	}
	defer rc.Close()
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
	w.Header().Set("Content-Security-Policy", "sandbox")
	if a.Size > 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
	}
	_, _ = io.Copy(w, rc)
	return nil
}
