package memstore

import (
	"encoding/json"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// The clone functions copy a record deeply, so neither the caller's value
// nor a returned one shares memory with the store, and normalize its
// times to UTC at microsecond precision, the precision SQL stores keep.
// Empty slices and maps become nil.

func ts(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func cloneSlice[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return append([]T(nil), s...)
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	if len(m) == 0 {
		return nil
	}
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func cloneRaw(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return nil
	}
	return append(json.RawMessage(nil), r...)
}

func cloneTenant(t inbox.Tenant) inbox.Tenant {
	t.Settings.Extra = cloneRaw(t.Settings.Extra)
	t.CreatedAt, t.UpdatedAt = ts(t.CreatedAt), ts(t.UpdatedAt)
	return t
}

func cloneSyncReport(r inbox.SyncReport) inbox.SyncReport {
	r.StartedAt, r.FinishedAt = ts(r.StartedAt), ts(r.FinishedAt)
	r.FailingSince, r.NextAttempt = ts(r.FailingSince), ts(r.NextAttempt)
	r.Errors = cloneSlice(r.Errors)
	return r
}

func cloneIntegration(in inbox.Integration) inbox.Integration {
	in.Config = cloneMap(in.Config)
	in.Templates = cloneSlice(in.Templates)
	if len(in.Secrets) == 0 {
		in.Secrets = nil
	} else {
		secrets := make(map[string][]byte, len(in.Secrets))
		for k, v := range in.Secrets {
			secrets[k] = append([]byte(nil), v...)
		}
		in.Secrets = secrets
	}
	in.LastSync = cloneSyncReport(in.LastSync)
	in.CreatedAt, in.UpdatedAt = ts(in.CreatedAt), ts(in.UpdatedAt)
	return in
}

func cloneContact(c inbox.Contact) inbox.Contact {
	c.Emails, c.Phones, c.Handles = cloneSlice(c.Emails), cloneSlice(c.Phones), cloneSlice(c.Handles)
	c.CreatedAt, c.UpdatedAt = ts(c.CreatedAt), ts(c.UpdatedAt)
	return c
}

func cloneFolder(f inbox.Folder) inbox.Folder {
	f.Rules = cloneRaw(f.Rules)
	f.CreatedAt, f.UpdatedAt = ts(f.CreatedAt), ts(f.UpdatedAt)
	return f
}

func cloneConversation(c inbox.Conversation) inbox.Conversation {
	c.Tags = cloneSlice(c.Tags)
	c.ExternalRefs = cloneMap(c.ExternalRefs)
	c.Classification.Tags = cloneSlice(c.Classification.Tags)
	c.Classification.At = ts(c.Classification.At)
	c.LastMessageAt, c.LastInboundAt = ts(c.LastMessageAt), ts(c.LastInboundAt)
	c.LastHumanReplyAt, c.LastAutoReplyAt = ts(c.LastHumanReplyAt), ts(c.LastAutoReplyAt)
	c.CreatedAt, c.UpdatedAt = ts(c.CreatedAt), ts(c.UpdatedAt)
	return c
}

func cloneMessage(m inbox.Message) inbox.Message {
	m.References = cloneSlice(m.References)
	m.To, m.Cc, m.Bcc, m.ReplyTo = cloneSlice(m.To), cloneSlice(m.Cc), cloneSlice(m.Bcc), cloneSlice(m.ReplyTo)
	m.Attachments = cloneSlice(m.Attachments)
	if m.Template != nil {
		t := *m.Template
		t.Parameters = cloneSlice(t.Parameters)
		m.Template = &t
	}
	m.DedupeKeys, m.ThreadKeys = cloneSlice(m.DedupeKeys), cloneSlice(m.ThreadKeys)
	m.SentAt, m.CreatedAt = ts(m.SentAt), ts(m.CreatedAt)
	return m
}

func cloneNote(n inbox.Note) inbox.Note {
	n.Mentions = cloneSlice(n.Mentions)
	n.CreatedAt = ts(n.CreatedAt)
	return n
}

func cloneTask(t inbox.Task) inbox.Task {
	t.DueAt, t.DoneAt, t.CreatedAt = ts(t.DueAt), ts(t.DoneAt), ts(t.CreatedAt)
	return t
}

func cloneFollowUp(f inbox.FollowUp) inbox.FollowUp {
	f.DueAt, f.CreatedAt, f.UpdatedAt = ts(f.DueAt), ts(f.CreatedAt), ts(f.UpdatedAt)
	return f
}

func cloneDraft(d inbox.Draft) inbox.Draft {
	d.Citations = cloneSlice(d.Citations)
	d.CreatedAt, d.UpdatedAt = ts(d.CreatedAt), ts(d.UpdatedAt)
	return d
}

func cloneOutbox(o inbox.OutboxItem) inbox.OutboxItem {
	o.NextAttemptAt, o.CreatedAt, o.UpdatedAt = ts(o.NextAttemptAt), ts(o.CreatedAt), ts(o.UpdatedAt)
	return o
}

func cloneQuarantine(q inbox.QuarantineItem) inbox.QuarantineItem {
	q.Inbound = cloneRaw(q.Inbound)
	q.CreatedAt, q.ReplayedAt = ts(q.CreatedAt), ts(q.ReplayedAt)
	return q
}

func cloneAudit(e inbox.AuditEntry) inbox.AuditEntry {
	e.Before, e.After = cloneRaw(e.Before), cloneRaw(e.After)
	e.At = ts(e.At)
	return e
}

func cloneNotification(n inbox.Notification) inbox.Notification {
	n.CreatedAt, n.ReadAt = ts(n.CreatedAt), ts(n.ReadAt)
	return n
}
