package api

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// parseConversationQuery reads the list filters from the query string.
func parseConversationQuery(r *http.Request, p auth.Principal) (inbox.ConversationQuery, error) {
	q := r.URL.Query()
	var cq inbox.ConversationQuery
	cq.FolderID = q.Get("folder")
	for _, v := range splitList(q.Get("status")) {
		st := inbox.Status(v)
		if !st.Valid() {
			return cq, inbox.Invalid("status", fmt.Sprintf("%q is not one of new, open, urgent, resolved, archived, spam", v))
		}
		cq.Statuses = append(cq.Statuses, st)
	}
	for _, v := range splitList(q.Get("source")) {
		src := inbox.Source(v)
		if !src.Valid() {
			return cq, inbox.Invalid("source", fmt.Sprintf("%q is not a channel kind like email, sms, whatsapp or webhook", v))
		}
		cq.Sources = append(cq.Sources, src)
	}
	cq.Assignee = q.Get("assignee")
	if cq.Assignee == "me" {
		cq.Assignee = p.Actor
	}
	var err error
	if cq.UnreadOnly, err = queryBool(r, "unread"); err != nil {
		return cq, err
	}
	cq.Reader = reader(p) // the Unread filter and is:unread are the agent's own
	cq.Tag = q.Get("tag")
	cq.Intent = inbox.Intent(q.Get("intent"))
	cq.ContactID = q.Get("contact")
	cq.ProjectID = q.Get("project")
	switch v := q.Get("view"); v {
	case "", "all":
	case "open":
		cq.OpenWork = true
	default:
		return cq, inbox.Invalid("view", "must be open (new, open and urgent work, snoozed left out) or all")
	}
	if cq.WithTotal, err = queryBool(r, "total"); err != nil {
		return cq, err
	}
	cq.IntegrationID = q.Get("integration")
	if cq.Since, err = queryTime(r, "since"); err != nil {
		return cq, err
	}
	if cq.Until, err = queryTime(r, "until"); err != nil {
		return cq, err
	}
	cq.Search = strings.TrimSpace(q.Get("q"))
	if len(cq.Search) > 500 || !utf8.ValidString(cq.Search) {
		return cq, inbox.Invalid("q", "must be valid text of at most 500 bytes")
	}
	switch sort := q.Get("sort"); sort {
	case "", "newest":
		cq.Sort = inbox.SortNewest
	case "oldest", "priority", "status", "queue":
		cq.Sort = inbox.Sort(sort)
	default:
		return cq, inbox.Invalid("sort", "must be newest, oldest, priority, status or queue")
	}
	if cq.Limit, err = queryInt(r, "limit", 50, 1, 200); err != nil {
		return cq, err
	}
	cq.Cursor = q.Get("cursor")
	return cq, nil
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// previewBytes bounds the list preview of conversations without subject.
const previewBytes = 140

func preview(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if len(text) <= previewBytes {
		return text
	}
	cut := previewBytes
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	cq, err := parseConversationQuery(r, p)
	if err != nil {
		return err
	}
	ctx, tenant := r.Context(), tenantOf(p)
	page, err := s.eng.Conversations(ctx, tenant, cq)
	if err != nil {
		if strings.Contains(err.Error(), "cursor") {
			return inbox.Invalid("cursor", "is not a cursor of this list; start again without it")
		}
		return err
	}
	drafts, err := s.eng.Drafts(ctx, tenant, inbox.DraftQuery{Status: inbox.DraftPending})
	if err != nil {
		return err
	}
	pending := map[string]bool{}
	for _, d := range drafts {
		pending[d.ConversationID] = true
	}
	ids := make([]string, 0, len(page.Items))
	for _, c := range page.Items {
		ids = append(ids, c.ContactID)
	}
	contacts, err := s.eng.ContactsByID(ctx, tenant, ids)
	if err != nil {
		return err
	}
	var snippets map[string]inbox.Snippet
	if cq.Search != "" {
		convIDs := make([]string, len(page.Items))
		for i, c := range page.Items {
			convIDs[i] = c.ID
		}
		if snippets, err = s.eng.Snippets(ctx, tenant, cq.Search, convIDs); err != nil {
			return err
		}
	}
	out := make([]ConversationView, 0, len(page.Items))
	for _, c := range page.Items {
		v := conversationView(c)
		if cq.Reader != "" {
			v.Unread = 0
			if page.ReaderUnread[c.ID] {
				v.Unread = max(c.Unread, 1)
			}
		}
		v.PendingDraft = pending[c.ID]
		if sn, ok := snippets[c.ID]; ok {
			v.Snippet = &sn
		}
		if ct, ok := contacts[c.ContactID]; ok {
			v.Contact = contactRef(ct)
		}
		if c.Subject == "" {
			if msgs, err := s.eng.Messages(ctx, tenant, c.ID); err == nil && len(msgs) > 0 {
				v.Preview = preview(msgs[len(msgs)-1].Text)
			}
		}
		out = append(out, v)
	}
	body := map[string]any{"items": out, "next_cursor": page.NextCursor}
	if cq.WithTotal {
		body["total"], body["total_exact"] = page.Total, page.TotalExact
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// ConversationDetail is everything the thread pane shows.
type ConversationDetail struct {
	Conversation ConversationView   `json:"conversation"`
	Contact      ContactView        `json:"contact"`
	Messages     []MessageView      `json:"messages"`
	Notes        []NoteView         `json:"notes"`
	Drafts       []DraftView        `json:"drafts"`
	Tasks        []TaskView         `json:"tasks"`
	FollowUps    []FollowUpView     `json:"followups"`
	History      []ConversationView `json:"history"`
	// Templates are the approved templates of a WhatsApp conversation's
	// integration, which the composer offers once the 24-hour window is
	// closed.
	Templates []inbox.Template `json:"templates,omitempty"`
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	ctx, tenant := r.Context(), tenantOf(p)
	c, err := s.eng.Conversation(ctx, tenant, id)
	if err != nil {
		return notFoundAs("conversation", id, err)
	}
	d := ConversationDetail{Conversation: conversationView(c), History: []ConversationView{}}
	if err := s.readState(ctx, p, []inbox.Conversation{c}, nil, []*ConversationView{&d.Conversation}); err != nil {
		return err
	}
	if c.ContactID != "" {
		if ct, err := s.eng.ContactRecord(ctx, tenant, c.ContactID); err == nil {
			d.Contact = contactView(ct)
			d.Conversation.Contact = contactRef(ct)
		}
	}
	msgs, err := s.eng.Messages(ctx, tenant, id)
	if err != nil {
		return notFoundAs("conversation", id, err)
	}
	d.Messages = mapSlice(msgs, messageView)
	notes, err := s.eng.Notes(ctx, tenant, id)
	if err != nil {
		return notFoundAs("conversation", id, err)
	}
	d.Notes = mapSlice(notes, noteView)
	drafts, err := s.eng.Drafts(ctx, tenant, inbox.DraftQuery{ConversationID: id})
	if err != nil {
		return err
	}
	d.Drafts = mapSlice(drafts, draftView)
	for _, dr := range drafts {
		if dr.Status == inbox.DraftPending {
			d.Conversation.PendingDraft = true
		}
	}
	tasks, err := s.eng.Tasks(ctx, tenant, inbox.TaskQuery{ConversationID: id})
	if err != nil {
		return err
	}
	d.Tasks = mapSlice(tasks, taskView)
	fus, err := s.eng.FollowUps(ctx, tenant, inbox.FollowUpQuery{ConversationID: id})
	if err != nil {
		return err
	}
	d.FollowUps = mapSlice(fus, followUpView)
	if c.Source == inbox.SourceWhatsApp && c.IntegrationID != "" {
		// A deleted integration has no templates to offer.
		if in, err := s.eng.Integration(ctx, tenant, c.IntegrationID); err == nil {
			d.Templates = in.Templates
		}
	}
	if c.ContactID != "" {
		hist, err := s.eng.Conversations(ctx, tenant, inbox.ConversationQuery{ContactID: c.ContactID, Limit: 20, Reader: reader(p)})
		if err != nil {
			return err
		}
		for _, h := range hist.Items {
			if h.ID != id {
				v := conversationView(h)
				if hist.ReaderUnread != nil {
					v.Unread = 0
					if hist.ReaderUnread[h.ID] {
						v.Unread = max(h.Unread, 1)
					}
				}
				d.History = append(d.History, v)
			}
		}
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
