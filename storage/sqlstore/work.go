package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// CreateNote stores an internal note and indexes its text.
func (t *tx) CreateNote(n *inbox.Note) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if n.ConversationID == "" {
		return fmt.Errorf("create note: %w", inbox.Invalid("note.conversation_id", "is required"))
	}
	if err := t.own("note", &n.TenantID, true); err != nil {
		return err
	}
	if err := t.requireConversation("create note", n.ConversationID); err != nil {
		return err
	}
	t.stamp(&n.ID, &n.CreatedAt, nil, nil)
	doc, err := encode(n)
	if err != nil {
		return err
	}
	if err := checkArgs("create note", []any{n.ID, n.ConversationID}); err != nil {
		return err
	}
	// SQLite's writers take turns, so the next number is MAX + 1 there;
	// PostgreSQL's column has a sequence.
	seqCol, seqVal := "", ""
	if t.s.d.Name() == "sqlite" {
		seqCol, seqVal = ", seq", ", (SELECT COALESCE(MAX(seq), 0) + 1 FROM notes)"
	}
	var seq int64
	err = t.queryRow("create note", []any{&seq}, `INSERT INTO notes (tenant_id, id, conversation_id, created_at, doc, indexed`+seqCol+`)
		VALUES (?, ?, ?, ?, ?, ?`+seqVal+`) ON CONFLICT DO NOTHING RETURNING seq`,
		string(t.tenant), n.ID, n.ConversationID, nanos(n.CreatedAt), doc, true)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("create note: %w: id or unique key already taken", inbox.ErrConflict)
	}
	if err != nil {
		return err
	}
	t.index(noteSearchDoc(n, seq, t.tenant))
	return nil
}

// NoteSeqBase offsets notes in the full-text index: a note numbered seq
// is the row -(NoteSeqBase + seq), below every conversation subject
// (-conversations.seq) and message (messages.seq).
const NoteSeqBase = int64(1) << 62

// noteSearchDoc is the full-text row of a note.
func noteSearchDoc(n *inbox.Note, seq int64, tenant inbox.TenantID) SearchDoc {
	d := inbox.NoteSearchDocument(n)
	return SearchDoc{Seq: -(NoteSeqBase + seq), Tenant: string(tenant), ConversationID: n.ConversationID, Body: d.Body}
}

// backfillNoteSearch indexes the notes written before notes were
// searchable, a batch per transaction. A note is claimed (indexed set)
// in the transaction that indexes it, so instances opening together never
// index one twice.
func (s *Store) backfillNoteSearch(ctx context.Context) error {
	for {
		done, err := s.backfillNotes(ctx)
		if err != nil {
			return fmt.Errorf("index notes: %w", err)
		}
		if done {
			return nil
		}
	}
}

func (s *Store) backfillNotes(ctx context.Context) (bool, error) {
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return false, s.wrap("index notes", err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, s.d.Rebind(`SELECT tenant_id, id, seq, doc FROM notes WHERE indexed = ? LIMIT 500`), false)
	if err != nil {
		return false, s.wrap("index notes", err)
	}
	type todo struct {
		tenant, id string
		seq        int64
		doc        []byte
	}
	var notes []todo
	for rows.Next() {
		var r todo
		if err := rows.Scan(&r.tenant, &r.id, &r.seq, &r.doc); err != nil {
			rows.Close()
			return false, s.wrap("index notes", err)
		}
		notes = append(notes, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, s.wrap("index notes", err)
	}
	if len(notes) == 0 {
		return true, nil
	}
	var docs []SearchDoc
	for _, r := range notes {
		res, err := tx.ExecContext(ctx, s.d.Rebind(`UPDATE notes SET indexed = ? WHERE tenant_id = ? AND id = ? AND indexed = ?`), true, r.tenant, r.id, false)
		if err != nil {
			return false, s.wrap("index notes", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue // another instance took it
		}
		var n inbox.Note
		if err := decode(r.doc, &n); err != nil {
			return false, err
		}
		docs = append(docs, noteSearchDoc(&n, r.seq, inbox.TenantID(r.tenant)))
	}
	slices.SortFunc(docs, func(a, b SearchDoc) int { return cmp.Compare(a.Seq, b.Seq) })
	if b, ok := s.d.(BatchIndexer); ok && len(docs) > 0 {
		if err := b.IndexBatch(ctx, tx, docs); err != nil {
			return false, s.wrap("index notes", err)
		}
	} else {
		for _, d := range docs {
			if err := s.d.Index(ctx, tx, d); err != nil {
				return false, s.wrap("index notes", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return false, s.wrap("index notes", err)
	}
	return false, nil
}

// ListNotes returns a conversation's notes, oldest first.
func (t *tx) ListNotes(conversationID string) ([]inbox.Note, error) {
	if err := t.requireConversation("list notes", conversationID); err != nil {
		return nil, err
	}
	return queryDocs[inbox.Note](t, "list notes", `SELECT doc, created_at FROM notes WHERE tenant_id = ? AND conversation_id = ? ORDER BY created_at, id`,
		string(t.tenant), conversationID)
}

var taskCols = []string{"conversation_id", "assignee", "open", "project_id", "doc"}

// CreateTask stores a task.
func (t *tx) CreateTask(k *inbox.Task) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := t.own("task", &k.TenantID, true); err != nil {
		return err
	}
	if k.ConversationID != "" {
		if err := t.requireConversation("create task", k.ConversationID); err != nil {
			return err
		}
	}
	t.stamp(&k.ID, &k.CreatedAt, nil, &k.Version)
	doc, err := encode(k)
	if err != nil {
		return err
	}
	return t.insert("task", "tasks", append([]string{"id", "version", "created_at"}, taskCols...),
		k.ID, k.Version, nanos(k.CreatedAt), k.ConversationID, k.Assignee, k.DoneAt.IsZero(), k.ProjectID, doc)
}

// UpdateTask replaces a task if its version is current.
func (t *tx) UpdateTask(k *inbox.Task) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := requireID("task", k.ID); err != nil {
		return err
	}
	if err := t.own("task", &k.TenantID, false); err != nil {
		return err
	}
	next := *k
	next.Version++
	doc, err := encode(next)
	if err != nil {
		return err
	}
	if err := t.updateVersioned("task", "tasks", k.ID, k.Version, taskCols,
		k.ConversationID, k.Assignee, k.DoneAt.IsZero(), k.ProjectID, doc); err != nil {
		return err
	}
	k.Version++
	return nil
}

// GetTask returns ErrNotFound for an unknown id.
func (t *tx) GetTask(id string) (inbox.Task, error) {
	var k inbox.Task
	return k, t.getDoc("task", "tasks", id, &k)
}

// ListTasks returns matching tasks in creation order.
func (t *tx) ListTasks(q inbox.TaskQuery) ([]inbox.Task, error) {
	where, args := []string{"tenant_id = ?"}, []any{string(t.tenant)}
	if q.ConversationID != "" {
		where, args = append(where, "conversation_id = ?"), append(args, q.ConversationID)
	}
	if q.Assignee != "" {
		where, args = append(where, "assignee = ?"), append(args, q.Assignee)
	}
	if q.ProjectID != "" {
		where, args = append(where, "project_id = ?"), append(args, q.ProjectID)
	}
	if q.OpenOnly {
		where, args = append(where, "open = ?"), append(args, true)
	}
	return queryDocs[inbox.Task](t, "list tasks", `SELECT doc, created_at FROM tasks WHERE `+strings.Join(where, " AND ")+` ORDER BY created_at, id`, args...)
}

var followUpCols = []string{"conversation_id", "status", "due_at", "doc"}

// CreateFollowUp stores a follow-up; an empty status is pending.
func (t *tx) CreateFollowUp(f *inbox.FollowUp) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if f.Status == "" {
		f.Status = inbox.FollowUpPending
	}
	if err := t.own("follow-up", &f.TenantID, true); err != nil {
		return err
	}
	if f.ConversationID != "" {
		if err := t.requireConversation("create follow-up", f.ConversationID); err != nil {
			return err
		}
	}
	t.stamp(&f.ID, &f.CreatedAt, &f.UpdatedAt, &f.Version)
	doc, err := encode(f)
	if err != nil {
		return err
	}
	return t.insert("follow-up", "follow_ups", append([]string{"id", "version", "created_at"}, followUpCols...),
		f.ID, f.Version, nanos(f.CreatedAt), f.ConversationID, string(f.Status), nanos(f.DueAt), doc)
}

// UpdateFollowUp replaces a follow-up if its version is current.
func (t *tx) UpdateFollowUp(f *inbox.FollowUp) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := requireID("follow-up", f.ID); err != nil {
		return err
	}
	if err := t.own("follow-up", &f.TenantID, false); err != nil {
		return err
	}
	next := *f
	next.Version++
	doc, err := encode(next)
	if err != nil {
		return err
	}
	if err := t.updateVersioned("follow-up", "follow_ups", f.ID, f.Version, followUpCols,
		f.ConversationID, string(f.Status), nanos(f.DueAt), doc); err != nil {
		return err
	}
	f.Version++
	return nil
}

// GetFollowUp returns ErrNotFound for an unknown id.
func (t *tx) GetFollowUp(id string) (inbox.FollowUp, error) {
	var f inbox.FollowUp
	return f, t.getDoc("follow-up", "follow_ups", id, &f)
}

// ListFollowUps returns matching follow-ups, soonest due first.
func (t *tx) ListFollowUps(q inbox.FollowUpQuery) ([]inbox.FollowUp, error) {
	if len(q.ConversationIDs) > keyChunk {
		var out []inbox.FollowUp
		for chunk := range slices.Chunk(q.ConversationIDs, keyChunk) {
			part := q
			part.ConversationIDs = chunk
			list, err := t.ListFollowUps(part)
			if err != nil {
				return nil, err
			}
			out = append(out, list...)
		}
		slices.SortFunc(out, func(a, b inbox.FollowUp) int { return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.ID, b.ID)) })
		return out, nil
	}
	where, args := []string{"tenant_id = ?"}, []any{string(t.tenant)}
	if q.ConversationID != "" {
		where, args = append(where, "conversation_id = ?"), append(args, q.ConversationID)
	}
	if len(q.ConversationIDs) > 0 {
		where, args = append(where, "conversation_id IN ("+placeholders(len(q.ConversationIDs))+")"), append(args, anys(q.ConversationIDs)...)
	}
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(q.Status))
	}
	if !q.DueBefore.IsZero() {
		where, args = append(where, "due_at < ?"), append(args, nanos(q.DueBefore))
	}
	return queryDocs[inbox.FollowUp](t, "list follow-ups", `SELECT doc, created_at FROM follow_ups WHERE `+strings.Join(where, " AND ")+` ORDER BY due_at, id`, args...)
}

var draftCols = []string{"conversation_id", "status", "doc"}

// CreateDraft stores a draft; an empty status is pending.
func (t *tx) CreateDraft(d *inbox.Draft) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if d.Status == "" {
		d.Status = inbox.DraftPending
	}
	if err := t.own("draft", &d.TenantID, true); err != nil {
		return err
	}
	if d.ConversationID != "" {
		if err := t.requireConversation("create draft", d.ConversationID); err != nil {
			return err
		}
	}
	t.stamp(&d.ID, &d.CreatedAt, &d.UpdatedAt, &d.Version)
	doc, err := encode(d)
	if err != nil {
		return err
	}
	return t.insert("draft", "drafts", append([]string{"id", "version", "created_at"}, draftCols...),
		d.ID, d.Version, nanos(d.CreatedAt), d.ConversationID, string(d.Status), doc)
}

// UpdateDraft replaces a draft if its version is current.
func (t *tx) UpdateDraft(d *inbox.Draft) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := requireID("draft", d.ID); err != nil {
		return err
	}
	if err := t.own("draft", &d.TenantID, false); err != nil {
		return err
	}
	next := *d
	next.Version++
	doc, err := encode(next)
	if err != nil {
		return err
	}
	if err := t.updateVersioned("draft", "drafts", d.ID, d.Version, draftCols,
		d.ConversationID, string(d.Status), doc); err != nil {
		return err
	}
	d.Version++
	return nil
}

// GetDraft returns ErrNotFound for an unknown id.
func (t *tx) GetDraft(id string) (inbox.Draft, error) {
	var d inbox.Draft
	return d, t.getDoc("draft", "drafts", id, &d)
}

// ListDrafts returns matching drafts in creation order.
func (t *tx) ListDrafts(q inbox.DraftQuery) ([]inbox.Draft, error) {
	where, args := []string{"tenant_id = ?"}, []any{string(t.tenant)}
	if q.ConversationID != "" {
		where, args = append(where, "conversation_id = ?"), append(args, q.ConversationID)
	}
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(q.Status))
	}
	return queryDocs[inbox.Draft](t, "list drafts", `SELECT doc, created_at FROM drafts WHERE `+strings.Join(where, " AND ")+` ORDER BY created_at, id`, args...)
}

var outboxCols = []string{"message_id", "conversation_id", "idempotency_key", "status", "next_attempt_at", "doc"}

func outboxValues(o *inbox.OutboxItem, doc []byte) []any {
	return []any{o.MessageID, o.ConversationID, o.IdempotencyKey, string(o.Status), nanos(o.NextAttemptAt), doc}
}

// EnqueueOutbox adds a delivery job; ErrConflict if its idempotency key is
// taken. An empty status is pending.
func (t *tx) EnqueueOutbox(o *inbox.OutboxItem) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if o.IdempotencyKey == "" {
		return fmt.Errorf("enqueue outbox: %w", inbox.Invalid("outbox.idempotency_key", "is required"))
	}
	if err := t.own("outbox item", &o.TenantID, true); err != nil {
		return err
	}
	t.stamp(&o.ID, &o.CreatedAt, &o.UpdatedAt, nil)
	if o.Status == "" {
		o.Status = inbox.OutboxPending
	}
	doc, err := encode(o)
	if err != nil {
		return err
	}
	return t.insert("outbox item", "outbox", append([]string{"id", "created_at"}, outboxCols...), append([]any{o.ID, nanos(o.CreatedAt)}, outboxValues(o, doc)...)...)
}

// UpdateOutbox records an attempt's outcome: Status, Attempts,
// NextAttemptAt, LastError, ProviderID and UpdatedAt.
func (t *tx) UpdateOutbox(o *inbox.OutboxItem) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := requireID("outbox item", o.ID); err != nil {
		return err
	}
	if err := t.own("outbox item", &o.TenantID, false); err != nil {
		return err
	}
	var cur inbox.OutboxItem
	if err := t.getDoc("outbox item", "outbox", o.ID, &cur); err != nil {
		return err
	}
	cur.Status, cur.Attempts, cur.NextAttemptAt, cur.LastError, cur.ProviderID, cur.UpdatedAt =
		o.Status, o.Attempts, o.NextAttemptAt, o.LastError, o.ProviderID, o.UpdatedAt
	doc, err := encode(cur)
	if err != nil {
		return err
	}
	return t.updatePlain("outbox item", "outbox", o.ID, outboxCols, outboxValues(&cur, doc)...)
}

// ListOutbox returns matching entries, oldest NextAttemptAt first.
func (t *tx) ListOutbox(q inbox.OutboxQuery) ([]inbox.OutboxItem, error) {
	where, args := []string{"tenant_id = ?"}, []any{string(t.tenant)}
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(q.Status))
	}
	if !q.DueBefore.IsZero() {
		where, args = append(where, "next_attempt_at < ?"), append(args, nanos(q.DueBefore))
	}
	if q.MessageID != "" {
		where, args = append(where, "message_id = ?"), append(args, q.MessageID)
	}
	query := `SELECT doc, created_at FROM outbox WHERE ` + strings.Join(where, " AND ") + ` ORDER BY next_attempt_at, id`
	if q.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, q.Limit)
	}
	return queryDocs[inbox.OutboxItem](t, "list outbox", query, args...)
}

var quarantineCols = []string{"integration_id", "dedupe_key", "replayed", "doc"}

// AddQuarantine keeps an unparsable or refused message.
func (t *tx) AddQuarantine(q *inbox.QuarantineItem) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := t.own("quarantine item", &q.TenantID, true); err != nil {
		return err
	}
	t.stamp(&q.ID, &q.CreatedAt, nil, nil)
	doc, err := encode(q)
	if err != nil {
		return err
	}
	return t.insert("quarantine item", "quarantine", append([]string{"id", "created_at"}, quarantineCols...),
		q.ID, nanos(q.CreatedAt), q.IntegrationID, q.Key, !q.ReplayedAt.IsZero(), doc)
}

// UpdateQuarantine records a replay.
func (t *tx) UpdateQuarantine(q *inbox.QuarantineItem) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := requireID("quarantine item", q.ID); err != nil {
		return err
	}
	if err := t.own("quarantine item", &q.TenantID, false); err != nil {
		return err
	}
	doc, err := encode(q)
	if err != nil {
		return err
	}
	return t.updatePlain("quarantine item", "quarantine", q.ID, quarantineCols, q.IntegrationID, q.Key, !q.ReplayedAt.IsZero(), doc)
}

// GetQuarantine returns ErrNotFound for an unknown id.
func (t *tx) GetQuarantine(id string) (inbox.QuarantineItem, error) {
	var q inbox.QuarantineItem
	return q, t.getDoc("quarantine item", "quarantine", id, &q)
}

// ListQuarantine returns items newest first.
func (t *tx) ListQuarantine(q inbox.QuarantineQuery) ([]inbox.QuarantineItem, error) {
	where, args := []string{"tenant_id = ?"}, []any{string(t.tenant)}
	if q.IntegrationID != "" {
		where, args = append(where, "integration_id = ?"), append(args, q.IntegrationID)
	}
	if q.Key != "" {
		where, args = append(where, "dedupe_key = ?"), append(args, q.Key)
	}
	if !q.IncludeReplayed {
		where, args = append(where, "replayed = ?"), append(args, false)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	return queryDocs[inbox.QuarantineItem](t, "list quarantine",
		`SELECT doc, created_at FROM quarantine WHERE `+strings.Join(where, " AND ")+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit)...)
}

// auditRowsPerStatement bounds the entries of one INSERT (7 parameters
// each).
const auditRowsPerStatement = 100

// AppendAudit adds entries; they are never changed or removed.
func (t *tx) AppendAudit(entries ...inbox.AuditEntry) error {
	if err := t.usable(true); err != nil {
		return err
	}
	var given []string
	seen := map[string]bool{}
	for i := range entries {
		if err := t.own("audit entry", &entries[i].TenantID, true); err != nil {
			return err
		}
		if id := entries[i].ID; id != "" {
			if seen[id] {
				return fmt.Errorf("append audit: %w: entry id %q given twice", inbox.ErrConflict, id)
			}
			seen[id] = true
			given = append(given, id)
		}
	}
	// Refuse the whole append before writing any entry.
	if len(given) > 0 {
		var taken string
		err := t.queryRow("append audit", []any{&taken}, `SELECT id FROM audit WHERE tenant_id = ? AND id IN (`+placeholders(len(given))+`) LIMIT 1`,
			append([]any{string(t.tenant)}, anys(given)...)...)
		if err == nil {
			return fmt.Errorf("append audit: %w: entry %q exists and cannot be changed", inbox.ErrConflict, taken)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	// One statement per auditRowsPerStatement entries: an ingest batch
	// appends an entry per message.
	for chunk := range slices.Chunk(entries, auditRowsPerStatement) {
		args := make([]any, 0, 7*len(chunk))
		for i := range chunk {
			e := &chunk[i]
			t.stamp(&e.ID, &e.At, nil, nil)
			doc, err := encode(e)
			if err != nil {
				return err
			}
			args = append(args, string(t.tenant), e.ID, e.ConversationID, e.EntityID, nanos(e.At), nanos(e.At), doc)
		}
		row := "(" + placeholders(7) + ")"
		res, err := t.exec("append audit", `INSERT INTO audit (tenant_id, id, conversation_id, entity_id, at, created_at, doc) VALUES `+
			row+strings.Repeat(", "+row, len(chunk)-1)+` ON CONFLICT DO NOTHING`, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(chunk)) {
			return fmt.Errorf("append audit: %w: an entry id is already taken", inbox.ErrConflict)
		}
	}
	return nil
}

// ListAudit returns entries newest first.
func (t *tx) ListAudit(q inbox.AuditQuery) ([]inbox.AuditEntry, error) {
	where, args := []string{"tenant_id = ?"}, []any{string(t.tenant)}
	if q.ConversationID != "" {
		where, args = append(where, "conversation_id = ?"), append(args, q.ConversationID)
	}
	if q.EntityID != "" {
		where, args = append(where, "entity_id = ?"), append(args, q.EntityID)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, nanos(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, nanos(q.Until))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	return queryDocs[inbox.AuditEntry](t, "list audit",
		`SELECT doc, created_at FROM audit WHERE `+strings.Join(where, " AND ")+` ORDER BY at DESC, id DESC LIMIT ?`, append(args, limit)...)
}

// CreateNotification stores a notification.
func (t *tx) CreateNotification(n *inbox.Notification) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := t.own("notification", &n.TenantID, true); err != nil {
		return err
	}
	t.stamp(&n.ID, &n.CreatedAt, nil, nil)
	doc, err := encode(n)
	if err != nil {
		return err
	}
	return t.insert("notification", "notifications", []string{"id", "user_id", "read_at", "created_at", "doc"},
		n.ID, n.UserID, nanos(n.ReadAt), nanos(n.CreatedAt), doc)
}

// ListNotifications returns a user's notifications, newest first.
func (t *tx) ListNotifications(q inbox.NotificationQuery) ([]inbox.Notification, error) {
	where, args := []string{"tenant_id = ?"}, []any{string(t.tenant)}
	if q.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, q.UserID)
	}
	if q.UnreadOnly {
		where = append(where, "read_at = 0")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	return queryDocs[inbox.Notification](t, "list notifications",
		`SELECT doc, created_at FROM notifications WHERE `+strings.Join(where, " AND ")+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit)...)
}

// MarkNotificationRead records when a notification was read; the first
// read time is kept.
func (t *tx) MarkNotificationRead(id string, at time.Time) error {
	if err := t.usable(true); err != nil {
		return err
	}
	var n inbox.Notification
	if err := t.getDoc("notification", "notifications", id, &n); err != nil {
		return err
	}
	if !n.ReadAt.IsZero() {
		return t.usable(true)
	}
	n.ReadAt = at
	doc, err := encode(n)
	if err != nil {
		return err
	}
	return t.updatePlain("notification", "notifications", id, []string{"read_at", "doc"}, nanos(at), doc)
}
