package api

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/reply"
)

// The API's JSON shapes. Domain types carry no JSON tags, so the API
// converts them explicitly: field names stay stable and snake_case even if
// the library's structs evolve, and nothing secret (integration secrets,
// password hashes, raw keys) can slip into a response.

// ContactRef is the contact summary shown in lists.
type ContactRef struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Emails []string `json:"emails"`
	Phones []string `json:"phones"`
}

// ConversationView is a conversation as the API shows it.
type ConversationView struct {
	ID            string         `json:"id"`
	Source        inbox.Source   `json:"source"`
	IntegrationID string         `json:"integration_id,omitempty"`
	Contact       *ContactRef    `json:"contact,omitempty"`
	ContactID     string         `json:"contact_id"`
	FolderID      string         `json:"folder_id"`
	Status        inbox.Status   `json:"status"`
	Intent        inbox.Intent   `json:"intent,omitempty"`
	Urgency       inbox.Urgency  `json:"urgency,omitempty"`
	Priority      inbox.Priority `json:"priority"`
	SnoozedUntil  *time.Time     `json:"snoozed_until,omitempty"`
	Assignee      string         `json:"assignee"`
	Tags          []string       `json:"tags"`
	// Unread is what the caller sees: a logged-in agent's own read state
	// (0 read, at least 1 unread), the team's count for an API token.
	Unread int `json:"unread"`
	// TeamUnread is the team's count: customer messages nobody answered
	// or marked read for everyone.
	TeamUnread       int               `json:"team_unread"`
	Subject          string            `json:"subject"`
	Preview          string            `json:"preview,omitempty"`
	Snippet          *inbox.Snippet    `json:"snippet,omitempty"`
	Automated        bool              `json:"automated"`
	MessageCount     int               `json:"message_count"`
	LastMessageAt    time.Time         `json:"last_message_at"`
	FirstResponseAt  *time.Time        `json:"first_response_at,omitempty"`
	ResolvedAt       *time.Time        `json:"resolved_at,omitempty"`
	Classification   inbox.Decision    `json:"classification"`
	ProjectID        string            `json:"project_id,omitempty"`
	ExternalRefs     map[string]string `json:"external_refs,omitempty"`
	Summary          string            `json:"summary,omitempty"`
	SummaryPoints    []string          `json:"summary_points,omitempty"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
	Version          int64             `json:"version"`
	PendingDraft     bool              `json:"pending_draft,omitempty"`
	LastInboundAt    *time.Time        `json:"last_inbound_at,omitempty"`
	LastHumanReplyAt *time.Time        `json:"last_human_reply_at,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func conversationView(c inbox.Conversation) ConversationView {
	tags := c.Tags
	if tags == nil {
		tags = []string{}
	}
	var sum reply.Summary
	if c.Summary != "" {
		sum = reply.ParseSummary(c.Summary)
	}
	return ConversationView{
		Summary: sum.Text, SummaryPoints: sum.KeyPoints,
		ID: c.ID, Source: c.Source, IntegrationID: c.IntegrationID, ContactID: c.ContactID, FolderID: c.FolderID,
		Status: c.Status, Intent: c.Intent, Urgency: c.Urgency, Priority: c.EffectivePriority(), SnoozedUntil: timePtr(c.SnoozedUntil), Assignee: c.Assignee, Tags: tags, Unread: c.Unread, TeamUnread: c.Unread,
		Subject: c.Subject, Automated: c.Automated, MessageCount: c.MessageCount, LastMessageAt: c.LastMessageAt,
		FirstResponseAt: timePtr(c.FirstResponseAt), ResolvedAt: timePtr(c.ResolvedAt), Classification: c.Classification,
		ProjectID: c.ProjectID, ExternalRefs: c.ExternalRefs, CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt, Version: c.Version, LastInboundAt: timePtr(c.LastInboundAt),
		LastHumanReplyAt: timePtr(c.LastHumanReplyAt),
	}
}

func contactRef(c inbox.Contact) *ContactRef {
	return &ContactRef{ID: c.ID, Name: c.Name, Emails: nonNil(c.Emails), Phones: nonNil(c.Phones)}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// AttachmentView is an attachment with its download URL.
type AttachmentView struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Inline      bool   `json:"inline,omitempty"`
	Rejected    string `json:"rejected,omitempty"`
	URL         string `json:"url,omitempty"`
}

// MessageView is a message as the API shows it.
type MessageView struct {
	ID             string           `json:"id"`
	ConversationID string           `json:"conversation_id"`
	Source         inbox.Source     `json:"source"`
	Direction      inbox.Direction  `json:"direction"`
	Author         inbox.AuthorKind `json:"author"`
	AuthorID       string           `json:"author_id,omitempty"`
	From           inbox.Party      `json:"from"`
	To             []inbox.Party    `json:"to"`
	Cc             []inbox.Party    `json:"cc,omitempty"`
	Bcc            []inbox.Party    `json:"bcc,omitempty"`
	Subject        string           `json:"subject,omitempty"`
	Text           string           `json:"text"`
	HTML           string           `json:"html,omitempty"`
	Attachments    []AttachmentView `json:"attachments"`
	// Template is the approved template an outgoing WhatsApp message was
	// sent as; Text is what it reads.
	Template        *inbox.TemplateChoice `json:"template,omitempty"`
	Automated       bool                  `json:"automated,omitempty"`
	AutomatedReason string                `json:"automated_reason,omitempty"`
	ThreadReason    string                `json:"thread_reason,omitempty"`
	SentAt          time.Time             `json:"sent_at"`
	CreatedAt       time.Time             `json:"created_at"`
	Read            bool                  `json:"read"`
	Delivery        inbox.DeliveryState   `json:"delivery,omitempty"`
	DeliveryError   string                `json:"delivery_error,omitempty"`
	Language        string                `json:"language,omitempty"`
}

func messageView(m inbox.Message) MessageView {
	atts := make([]AttachmentView, 0, len(m.Attachments))
	for _, a := range m.Attachments {
		v := AttachmentView{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, Inline: a.Inline, Rejected: a.Rejected}
		if a.BlobKey != "" && a.Rejected == "" {
			v.URL = "/inbox/messages/" + m.ID + "/attachments/" + a.ID
		}
		atts = append(atts, v)
	}
	return MessageView{
		ID: m.ID, ConversationID: m.ConversationID, Source: m.Source, Direction: m.Direction, Author: m.Author,
		AuthorID: m.AuthorID, From: m.From, To: nonNil(m.To), Cc: m.Cc, Bcc: m.Bcc, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		Attachments: atts, Template: m.Template, Automated: m.Automated, AutomatedReason: m.AutomatedReason, ThreadReason: m.ThreadReason,
		SentAt: m.SentAt, CreatedAt: m.CreatedAt, Read: m.Read, Delivery: m.Delivery, DeliveryError: m.DeliveryError,
		Language: m.Language,
	}
}

// NoteView is an internal note.
type NoteView struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	Author         string    `json:"author"`
	Body           string    `json:"body"`
	Mentions       []string  `json:"mentions"`
	CreatedAt      time.Time `json:"created_at"`
}

func noteView(n inbox.Note) NoteView {
	return NoteView{ID: n.ID, ConversationID: n.ConversationID, Author: n.Author, Body: n.Body, Mentions: nonNil(n.Mentions), CreatedAt: n.CreatedAt}
}

// TaskView is a task.
type TaskView struct {
	ID             string     `json:"id"`
	ConversationID string     `json:"conversation_id"`
	ProjectID      string     `json:"project_id,omitempty"`
	Title          string     `json:"title"`
	Assignee       string     `json:"assignee"`
	DueAt          *time.Time `json:"due_at,omitempty"`
	DoneAt         *time.Time `json:"done_at,omitempty"`
	Done           bool       `json:"done"`
	CreatedBy      string     `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	Version        int64      `json:"version"`
}

func taskView(t inbox.Task) TaskView {
	return TaskView{ID: t.ID, ConversationID: t.ConversationID, ProjectID: t.ProjectID, Title: t.Title, Assignee: t.Assignee, DueAt: timePtr(t.DueAt),
		DoneAt: timePtr(t.DoneAt), Done: !t.DoneAt.IsZero(), CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, Version: t.Version}
}

// FollowUpView is a follow-up.
type FollowUpView struct {
	ID             string               `json:"id"`
	ConversationID string               `json:"conversation_id"`
	DueAt          time.Time            `json:"due_at"`
	Note           string               `json:"note"`
	Assignee       string               `json:"assignee"`
	IfNoReply      bool                 `json:"if_no_reply"`
	Status         inbox.FollowUpStatus `json:"status"`
	CreatedBy      string               `json:"created_by"`
	CreatedAt      time.Time            `json:"created_at"`
	Version        int64                `json:"version"`
}

func followUpView(f inbox.FollowUp) FollowUpView {
	return FollowUpView{ID: f.ID, ConversationID: f.ConversationID, DueAt: f.DueAt, Note: f.Note, Assignee: f.Assignee,
		IfNoReply: f.IfNoReply, Status: f.Status, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt, Version: f.Version}
}

// DraftView is a generated reply awaiting approval.
type DraftView struct {
	ID             string            `json:"id"`
	ConversationID string            `json:"conversation_id"`
	Text           string            `json:"text"`
	Status         inbox.DraftStatus `json:"status"`
	Confidence     float64           `json:"confidence"`
	Citations      []inbox.Citation  `json:"citations"`
	Error          string            `json:"error,omitempty"`
	DecidedBy      string            `json:"decided_by,omitempty"`
	MessageID      string            `json:"message_id,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	Version        int64             `json:"version"`
}

func draftView(d inbox.Draft) DraftView {
	return DraftView{ID: d.ID, ConversationID: d.ConversationID, Text: d.Text, Status: d.Status, Confidence: d.Confidence,
		Citations: nonNil(d.Citations), Error: d.Error, DecidedBy: d.DecidedBy, MessageID: d.MessageID, CreatedAt: d.CreatedAt, Version: d.Version}
}

// FolderView is a folder with its unread counter.
type FolderView struct {
	ID          string                  `json:"id"`
	Name        string                  `json:"name"`
	Description string                  `json:"description"`
	Position    int                     `json:"position"`
	Rules       json.RawMessage         `json:"rules"`
	AutoReply   inbox.AutoReplySettings `json:"auto_reply"`
	Unread      int                     `json:"unread"`
	RulesError  string                  `json:"rules_error,omitempty"`
	Version     int64                   `json:"version"`
}

func folderView(f inbox.Folder, unread int) FolderView {
	rules := f.Rules
	if len(rules) == 0 {
		rules = json.RawMessage(`null`)
	}
	return FolderView{ID: f.ID, Name: f.Name, Description: f.Description, Position: f.Position, Rules: rules,
		AutoReply: f.AutoReply, Unread: unread, Version: f.Version}
}

// IntegrationView shows an integration without its secrets: only which
// secret fields are set.
type IntegrationView struct {
	ID         string            `json:"id"`
	Kind       inbox.Source      `json:"kind"`
	Name       string            `json:"name"`
	Enabled    bool              `json:"enabled"`
	Config     map[string]string `json:"config"`
	SecretsSet []string          `json:"secrets_set"`
	Status     string            `json:"status"`
	LastSync   inbox.SyncReport  `json:"last_sync"`
	// Health is the state the UI shows, with the problem in plain words.
	Health     HealthView `json:"health"`
	WebhookURL string     `json:"webhook_url,omitempty"`
	// Templates are the approved WhatsApp templates replies may use.
	Templates []inbox.Template `json:"templates"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
	Version   int64            `json:"version"`
}

// HealthView is an integration's health: ok, degraded, failing or
// disabled; when syncs fail, what went wrong in plain words, since when,
// and when the next attempt is (none: once the settings change).
type HealthView struct {
	State        string    `json:"state"`
	Problem      string    `json:"problem,omitempty"`
	Failures     int       `json:"failures,omitempty"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	NextAttempt  time.Time `json:"next_attempt,omitzero"`
}

func healthView(in inbox.Integration) HealthView {
	h := HealthView{State: inbox.HealthState(in)}
	if in.Status != inbox.IntegrationOK && in.Status != "" {
		h.Problem, h.Failures = in.LastSync.Problem, in.LastSync.Failures
		h.FailingSince, h.NextAttempt = in.LastSync.FailingSince, in.LastSync.NextAttempt
		if h.Problem == "" {
			h.Problem = "The last sync failed."
		}
	}
	return h
}

func integrationView(in inbox.Integration) IntegrationView {
	set := make([]string, 0, len(in.Secrets))
	for k := range in.Secrets {
		set = append(set, k)
	}
	sort.Strings(set)
	cfg := in.Config
	if cfg == nil {
		cfg = map[string]string{}
	}
	v := IntegrationView{ID: in.ID, Kind: in.Kind, Name: in.Name, Enabled: in.Enabled, Config: cfg, SecretsSet: set, Templates: nonNil(in.Templates),
		Status: in.Status, LastSync: in.LastSync, Health: healthView(in), CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, Version: in.Version}
	switch in.Kind {
	case inbox.SourceSMS:
		v.WebhookURL = "/inbox/webhooks/sms"
	case inbox.SourceWhatsApp:
		v.WebhookURL = "/inbox/webhooks/whatsapp"
	case inbox.SourceWebhook:
		v.WebhookURL = "/inbox/webhooks/custom/" + in.ID
	}
	return v
}

// ContactView is a contact.
type ContactView struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Emails     []string  `json:"emails"`
	Phones     []string  `json:"phones"`
	ExternalID string    `json:"external_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int64     `json:"version"`
}

func contactView(c inbox.Contact) ContactView {
	return ContactView{ID: c.ID, Name: c.Name, Emails: nonNil(c.Emails), Phones: nonNil(c.Phones), ExternalID: c.ExternalID,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version}
}

// AuditView is an audit entry.
type AuditView struct {
	ID             string          `json:"id"`
	Actor          string          `json:"actor"`
	ActorName      string          `json:"actor_name"`
	Action         string          `json:"action"`
	EntityType     string          `json:"entity_type"`
	EntityID       string          `json:"entity_id"`
	ConversationID string          `json:"conversation_id,omitempty"`
	Before         json.RawMessage `json:"before,omitempty"`
	After          json.RawMessage `json:"after,omitempty"`
	At             time.Time       `json:"at"`
}

// auditViews shows entries with the names agents know their authors by.
func (s *Server) auditViews(ctx context.Context, tenant inbox.TenantID, es []inbox.AuditEntry) []AuditView {
	names := map[string]string{}
	out := make([]AuditView, len(es))
	for i, e := range es {
		out[i] = auditView(e)
		name, ok := names[e.Actor]
		if !ok {
			name = s.actorName(ctx, tenant, e.Actor)
			names[e.Actor] = name
		}
		out[i].ActorName = name
	}
	return out
}

// actorName names who did something: an agent by their name, the
// engine's own workers in plain words.
func (s *Server) actorName(ctx context.Context, tenant inbox.TenantID, actor string) string {
	switch {
	case actor == "auto-reply":
		return "Automatic reply"
	case actor == "snooze":
		return "Snooze reminder"
	case actor == "summarizer":
		return "Summary assistant"
	case actor == "channel":
		return "Delivery"
	case actor == "classifier:ai":
		return "AI filing"
	case actor == "classifier:rules":
		return "Folder rules"
	case strings.HasPrefix(actor, "classifier"):
		return "Automatic filing"
	}
	return s.eng.EmployeeName(ctx, tenant, actor)
}

func auditView(a inbox.AuditEntry) AuditView {
	return AuditView{ID: a.ID, Actor: a.Actor, Action: a.Action, EntityType: a.EntityType, EntityID: a.EntityID,
		ConversationID: a.ConversationID, Before: a.Before, After: a.After, At: a.At}
}

// QuarantineView is a quarantined message (its raw bytes are not shown).
type QuarantineView struct {
	ID              string       `json:"id"`
	IntegrationID   string       `json:"integration_id"`
	Source          inbox.Source `json:"source"`
	ProviderID      string       `json:"provider_id"`
	Error           string       `json:"error"`
	CreatedAt       time.Time    `json:"created_at"`
	ReplayedAt      *time.Time   `json:"replayed_at,omitempty"`
	ReplayMessageID string       `json:"replay_message_id,omitempty"`
}

func quarantineView(q inbox.QuarantineItem) QuarantineView {
	return QuarantineView{ID: q.ID, IntegrationID: q.IntegrationID, Source: q.Source, ProviderID: q.ProviderID, Error: q.Error,
		CreatedAt: q.CreatedAt, ReplayedAt: timePtr(q.ReplayedAt), ReplayMessageID: q.ReplayMessageID}
}

// NotificationView is a notification.
type NotificationView struct {
	ID             string     `json:"id"`
	Kind           string     `json:"kind"`
	ConversationID string     `json:"conversation_id,omitempty"`
	Text           string     `json:"text"`
	CreatedAt      time.Time  `json:"created_at"`
	ReadAt         *time.Time `json:"read_at,omitempty"`
}

func notificationView(n inbox.Notification) NotificationView {
	return NotificationView{ID: n.ID, Kind: n.Kind, ConversationID: n.ConversationID, Text: n.Text, CreatedAt: n.CreatedAt, ReadAt: timePtr(n.ReadAt)}
}

// KnowledgeView is a knowledge-base document.
type KnowledgeView struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Format    string    `json:"format"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

func knowledgeView(d inbox.KnowledgeDoc) KnowledgeView {
	return KnowledgeView{ID: d.ID, Title: d.Title, Format: d.Format, Body: d.Body, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Version: d.Version}
}

// mapSlice converts a slice with f.
func mapSlice[T, V any](in []T, f func(T) V) []V {
	out := make([]V, 0, len(in))
	for _, x := range in {
		out = append(out, f(x))
	}
	return out
}
