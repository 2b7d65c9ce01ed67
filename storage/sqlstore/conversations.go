package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
)

var conversationCols = []string{"subject", "folder_id", "status", "priority", "source", "integration_id", "contact_id", "assignee",
	"intent", "unread", "thread_subject", "tags", "last_message_at", "queue_rank", "project_id", "doc"}

func conversationValues(c *inbox.Conversation, doc []byte) ([]any, error) {
	tags := c.Tags
	if tags == nil {
		tags = []string{}
	}
	rawTags, err := json.Marshal(tags)
	if err != nil {
		return nil, fmt.Errorf("encode tags: %w", err)
	}
	return []any{c.Subject, c.FolderID, string(c.Status), c.Status.Priority(), string(c.Source), c.IntegrationID, c.ContactID, c.Assignee,
		string(c.Intent), c.Unread, c.ThreadSubject, string(rawTags), nanos(c.LastMessageAt), inbox.QueueRank(c), c.ProjectID, doc}, nil
}

func validConversation(op string, c *inbox.Conversation) error {
	if !c.Status.Valid() {
		return fmt.Errorf("%s: %w", op, inbox.Invalid("conversation.status", fmt.Sprintf("%q is not a status", c.Status)))
	}
	if c.Source != "" && !c.Source.Valid() {
		return fmt.Errorf("%s: %w", op, inbox.Invalid("conversation.source", fmt.Sprintf("%q is not a source", c.Source)))
	}
	if c.Unread < 0 {
		return fmt.Errorf("%s: %w", op, inbox.Invalid("conversation.unread", "must not be negative"))
	}
	return nil
}

// CreateConversation stores a new conversation; an empty status is new.
func (t *tx) CreateConversation(c *inbox.Conversation) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if c.Status == "" {
		c.Status = inbox.StatusNew
	}
	if err := validConversation("create conversation", c); err != nil {
		return err
	}
	if err := t.own("conversation", &c.TenantID, true); err != nil {
		return err
	}
	t.stamp(&c.ID, &c.CreatedAt, &c.UpdatedAt, &c.Version)
	doc, err := encode(c)
	if err != nil {
		return err
	}
	vals, err := conversationValues(c, doc)
	if err != nil {
		return err
	}
	cols := append([]string{"tenant_id", "id", "created_at", "version"}, conversationCols...)
	var seq int64
	err = t.queryRow("create conversation", []any{&seq}, `INSERT INTO conversations (`+strings.Join(cols, ", ")+`) VALUES (`+
		placeholders(len(cols))+`) ON CONFLICT DO NOTHING RETURNING seq`, append([]any{string(t.tenant), c.ID, nanos(c.CreatedAt), c.Version}, vals...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("create conversation %q: %w: the id is taken", c.ID, inbox.ErrConflict)
	}
	if err != nil {
		return err
	}
	t.sawConversation(c.ID)
	t.rememberConversation(c.ID, seq, vals)
	return t.indexSubject(seq, c)
}

// convRow is a conversation row as this transaction last wrote it: its
// seq and its conversationCols values but the document.
type convRow struct {
	seq  int64
	vals []any
}

// rememberConversation records the row the transaction just wrote, so a
// later UpdateConversation in it knows the stored columns without reading
// them back: an ingest creates each new conversation, then updates it once
// its messages are in, and the read was a round trip per conversation.
func (t *tx) rememberConversation(id string, seq int64, vals []any) {
	if t.convRows == nil {
		t.convRows = map[string]convRow{}
	}
	row := convRow{seq: seq, vals: make([]any, len(conversationCols)-1)}
	for i := range row.vals {
		switch v := vals[i].(type) {
		case int:
			row.vals[i] = int64(v)
		default:
			row.vals[i] = v
		}
	}
	t.convRows[id] = row
}

// indexSubject makes the conversation's own subject searchable; it is
// stored in the full-text index under the negated conversation seq.
func (t *tx) indexSubject(seq int64, c *inbox.Conversation) error {
	if c.Subject == "" {
		return nil
	}
	t.index(SearchDoc{Seq: -seq, Tenant: string(t.tenant), ConversationID: c.ID, Subject: c.Subject})
	return nil
}

// UpdateConversation replaces a conversation if its version is current.
func (t *tx) UpdateConversation(c *inbox.Conversation) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := requireID("conversation", c.ID); err != nil {
		return err
	}
	if err := validConversation("update conversation", c); err != nil {
		return err
	}
	if err := t.own("conversation", &c.TenantID, false); err != nil {
		return err
	}
	// Only the columns whose value changes are written (the document and
	// version always are): SQLite rewrites every index that holds a column
	// named in SET, and a reclassification or a new message changes two or
	// three of the fourteen.
	current := make([]any, 1+len(conversationCols)-1)
	if row, ok := t.convRows[c.ID]; ok {
		current[0] = row.seq
		copy(current[1:], row.vals)
	} else {
		ptrs := make([]any, len(current))
		for i := range current {
			ptrs[i] = &current[i]
		}
		err := t.queryRow("update conversation", ptrs, `SELECT seq, `+strings.Join(conversationCols[:len(conversationCols)-1], ", ")+
			` FROM conversations WHERE tenant_id = ? AND id = ?`, string(t.tenant), c.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("update conversation %q: %w", c.ID, inbox.ErrNotFound)
		}
		if err != nil {
			return err
		}
	}
	seq, _ := current[0].(int64)
	subject := asString(current[1])
	next := *c
	next.Version++
	doc, err := encode(next)
	if err != nil {
		return err
	}
	vals, err := conversationValues(c, doc)
	if err != nil {
		return err
	}
	var cols []string
	var args []any
	for i, col := range conversationCols {
		if col != "doc" && sameValue(current[1+i], vals[i]) {
			continue
		}
		if col == "folder_id" {
			// The refile trigger moves the conversation's counted
			// messages: count the pending ones first.
			if err := t.flushVolume(); err != nil {
				return err
			}
		}
		cols = append(cols, col)
		args = append(args, vals[i])
	}
	if err := t.updateVersioned("conversation", "conversations", c.ID, c.Version, cols, args...); err != nil {
		return err
	}
	t.rememberConversation(c.ID, seq, vals)
	c.Version++
	if subject == c.Subject {
		return nil
	}
	if err := t.flushIndex(); err != nil {
		return err
	}
	if err := t.s.d.Unindex(t.ctx, t.tx, string(t.tenant), []int64{-seq}); err != nil {
		return t.s.wrap("reindex conversation subject", err)
	}
	return t.indexSubject(seq, c)
}

// asString reads a text column scanned into an any.
func asString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// sameValue compares a column as scanned with the value about to be
// written (strings and integers).
func sameValue(old, new any) bool {
	switch n := new.(type) {
	case string:
		switch o := old.(type) {
		case string:
			return o == n
		case []byte:
			return string(o) == n
		}
	case int:
		o, ok := old.(int64)
		return ok && o == int64(n)
	case int64:
		o, ok := old.(int64)
		return ok && o == n
	}
	return false
}

// GetConversation returns ErrNotFound for an unknown id.
func (t *tx) GetConversation(id string) (inbox.Conversation, error) {
	rows, err := t.query("get conversation", `SELECT `+conversationSelect+` FROM conversations WHERE tenant_id = ? AND id = ?`, string(t.tenant), id)
	if err != nil {
		return inbox.Conversation{}, err
	}
	list, err := t.scanConversations(rows)
	if err != nil {
		return inbox.Conversation{}, err
	}
	if len(list) == 0 {
		return inbox.Conversation{}, fmt.Errorf("conversation %q: %w", id, inbox.ErrNotFound)
	}
	return list[0], nil
}

// conversationSelect are the columns scanConversations reads; the columns
// win over the document because DeleteFolder unfiles conversations (and
// bumps their version) by column.
const conversationSelect = `doc, folder_id, version, created_at`

func (t *tx) scanConversations(rows *sql.Rows) ([]inbox.Conversation, error) {
	defer rows.Close()
	var out []inbox.Conversation
	for rows.Next() {
		var doc []byte
		var folder string
		var version, created int64
		if err := rows.Scan(&doc, &folder, &version, &created); err != nil {
			return nil, t.s.wrap("scan conversation", err)
		}
		var c inbox.Conversation
		if err := decode(doc, &c); err != nil {
			return nil, err
		}
		c.FolderID, c.Version, c.CreatedAt = folder, version, fromNanos(created)
		t.sawConversation(c.ID)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, t.s.wrap("list conversations", err)
	}
	return out, nil
}

// DeleteConversation removes a conversation with its messages, notes,
// drafts, tasks and follow-ups; dedupe keys stay as tombstones.
func (t *tx) DeleteConversation(id string) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := t.flushVolume(); err != nil { // the delete trigger reads the roll-up
		return err
	}
	delete(t.existing, id)
	delete(t.convRows, id)
	var convSeq int64
	err := t.queryRow("delete conversation", []any{&convSeq}, `DELETE FROM conversations WHERE tenant_id = ? AND id = ? RETURNING seq`, string(t.tenant), id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("delete conversation %q: %w", id, inbox.ErrNotFound)
	}
	if err != nil {
		return err
	}
	rows, err := t.query("delete conversation", `SELECT seq FROM messages WHERE tenant_id = ? AND conversation_id = ?`, string(t.tenant), id)
	if err != nil {
		return err
	}
	seqs := []int64{-convSeq}
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return t.s.wrap("delete conversation", err)
		}
		seqs = append(seqs, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t.s.wrap("delete conversation", err)
	}
	rows, err = t.query("delete conversation", `SELECT seq FROM notes WHERE tenant_id = ? AND conversation_id = ?`, string(t.tenant), id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return t.s.wrap("delete conversation", err)
		}
		seqs = append(seqs, -(NoteSeqBase + seq))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t.s.wrap("delete conversation", err)
	}
	if err := t.flushIndex(); err != nil {
		return err
	}
	if err := t.s.d.Unindex(t.ctx, t.tx, string(t.tenant), seqs); err != nil {
		return t.s.wrap("unindex messages", err)
	}
	if err := t.flushThreadKeys(); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM thread_keys WHERE tenant_id = ? AND conversation_id = ?`,
		`DELETE FROM messages WHERE tenant_id = ? AND conversation_id = ?`,
		`DELETE FROM notes WHERE tenant_id = ? AND conversation_id = ?`,
		`DELETE FROM drafts WHERE tenant_id = ? AND conversation_id = ?`,
		`DELETE FROM tasks WHERE tenant_id = ? AND conversation_id = ?`,
		`DELETE FROM follow_ups WHERE tenant_id = ? AND conversation_id = ?`,
		`DELETE FROM read_marks WHERE tenant_id = ? AND conversation_id = ?`,
	} {
		if _, err := t.exec("delete conversation", q, string(t.tenant), id); err != nil {
			return err
		}
	}
	return nil
}

// UnreadCounts counts, per folder ("" unfiled), conversations with unread
// messages that are neither spam nor archived. The partial index
// conversations_unread holds exactly those rows.
func (t *tx) UnreadCounts() (map[string]int, error) {
	return t.countsByFolder("unread counts", `SELECT folder_id, COUNT(*) FROM conversations
		WHERE tenant_id = ? AND unread > 0 AND status NOT IN ('spam', 'archived') GROUP BY folder_id`, string(t.tenant))
}

// countsByFolder reads (folder id, count) rows into a map, adding the
// counts of a folder listed twice.
func (t *tx) countsByFolder(op, query string, args ...any) (map[string]int, error) {
	rows, err := t.query(op, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var folder string
		var n int
		if err := rows.Scan(&folder, &n); err != nil {
			return nil, t.s.wrap(op, err)
		}
		out[folder] += n
	}
	if err := rows.Err(); err != nil {
		return nil, t.s.wrap(op, err)
	}
	return out, nil
}
