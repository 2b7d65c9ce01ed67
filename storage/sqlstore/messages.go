package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
)

// keyChunk bounds the values bound in one IN list.
const keyChunk = 500

func searchDoc(m *inbox.Message, seq int64, tenant inbox.TenantID) SearchDoc {
	d := inbox.SearchDocumentOf(m)
	return SearchDoc{Seq: seq, Tenant: string(tenant), ConversationID: m.ConversationID, Subject: d.Subject, Body: d.Body, Sender: d.Sender}
}

func hasAttachment(m *inbox.Message) bool { return len(m.Attachments) > 0 }

// InsertMessage stores a message with its dedupe and thread keys and
// indexes its text, all in the caller's transaction. ErrConflict if the id
// or any dedupe key is taken (also by a deleted message).
func (t *tx) InsertMessage(m *inbox.Message) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if m.ConversationID == "" {
		return fmt.Errorf("insert message: %w", inbox.Invalid("message.conversation_id", "is required"))
	}
	if m.Source != "" && !m.Source.Valid() {
		return fmt.Errorf("insert message: %w", inbox.Invalid("message.source", fmt.Sprintf("%q is not a source", m.Source)))
	}
	if err := t.own("message", &m.TenantID, true); err != nil {
		return err
	}
	if err := t.requireConversation("insert message", m.ConversationID); err != nil {
		return err
	}
	t.stamp(&m.ID, &m.CreatedAt, nil, &m.Version)
	doc, err := t.encodeMessage(m)
	if err != nil {
		return err
	}
	var seq int64
	err = t.queryRow("insert message", []any{&seq}, `INSERT INTO messages (tenant_id, id, conversation_id, integration_id, provider_id, sent_at, has_attachment, created_at, version, doc, source, direction)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING seq`,
		string(t.tenant), m.ID, m.ConversationID, m.IntegrationID, m.ProviderID, nanos(m.SentAt), hasAttachment(m), nanos(m.CreatedAt), m.Version, doc,
		string(m.Source), string(m.Direction))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("insert message %q: %w: the id is taken", m.ID, inbox.ErrConflict)
	}
	if err != nil {
		return err
	}
	t.countMessage(m.ConversationID, m.CreatedAt, string(m.Source), string(m.Direction))
	if err := t.insertDedupeKeys(m, seq); err != nil {
		return err
	}
	if err := t.insertThreadKeys(m); err != nil {
		return err
	}
	t.index(searchDoc(m, seq, t.tenant))
	return nil
}

// insertDedupeKeys claims the message's keys; if any is taken it releases
// what it claimed and the message row, so the transaction stays usable.
func (t *tx) insertDedupeKeys(m *inbox.Message, seq int64) error {
	keys := slices.Compact(slices.Sorted(slices.Values(m.DedupeKeys)))
	if len(keys) > 0 && keys[0] == "" {
		keys = keys[1:]
	}
	if len(keys) == 0 {
		return nil
	}
	values := strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(keys)), ", ")
	args := make([]any, 0, 3*len(keys))
	for _, k := range keys {
		args = append(args, string(t.tenant), k, m.ID)
	}
	rows, err := t.query("insert dedupe keys", `INSERT INTO dedupe_keys (tenant_id, key, message_id) VALUES `+values+
		` ON CONFLICT DO NOTHING RETURNING key`, args...)
	if err != nil {
		return err
	}
	var claimed []any
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return t.s.wrap("insert dedupe keys", err)
		}
		claimed = append(claimed, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t.s.wrap("insert dedupe keys", err)
	}
	if len(claimed) == len(keys) {
		return nil
	}
	if len(claimed) > 0 {
		if _, err := t.exec("release dedupe keys", `DELETE FROM dedupe_keys WHERE tenant_id = ? AND key IN (`+placeholders(len(claimed))+`)`,
			append([]any{string(t.tenant)}, claimed...)...); err != nil {
			return err
		}
	}
	// The delete trigger takes the message off the roll-up: count it first.
	if err := t.flushVolume(); err != nil {
		return err
	}
	if _, err := t.exec("release message", `DELETE FROM messages WHERE seq = ?`, seq); err != nil {
		return err
	}
	return fmt.Errorf("insert message: %w: a dedupe key is already taken in the tenant", inbox.ErrConflict)
}

func (t *tx) insertThreadKeys(m *inbox.Message) error {
	keys := slices.Compact(slices.Sorted(slices.Values(m.ThreadKeys)))
	if len(keys) > 0 && keys[0] == "" {
		keys = keys[1:]
	}
	if len(keys) == 0 {
		return nil
	}
	for _, k := range keys {
		t.threadKeys = append(t.threadKeys, pendingThreadKey{key: k, message: m.ID, conversation: m.ConversationID})
	}
	return nil
}

// pendingThreadKey is a thread key inserted by this transaction and not
// written yet.
type pendingThreadKey struct{ key, message, conversation string }

// threadKeyRowsPerStatement bounds the rows of one INSERT (4 parameters
// each).
const threadKeyRowsPerStatement = 250

// flushThreadKeys writes the pending thread keys, many per statement: a
// batch's keys are only read back by LookupThreadKeys, MoveMessage and
// DeleteConversation, which flush first, and at commit.
func (t *tx) flushThreadKeys() error {
	for len(t.threadKeys) > 0 {
		n := min(len(t.threadKeys), threadKeyRowsPerStatement)
		args := make([]any, 0, 4*n)
		for _, k := range t.threadKeys[:n] {
			args = append(args, string(t.tenant), k.key, k.message, k.conversation)
		}
		if _, err := t.exec("insert thread keys", `INSERT INTO thread_keys (tenant_id, key, message_id, conversation_id) VALUES (?, ?, ?, ?)`+
			strings.Repeat(", (?, ?, ?, ?)", n-1), args...); err != nil {
			return err
		}
		t.threadKeys = t.threadKeys[n:]
	}
	t.threadKeys = nil
	return nil
}

// UpdateMessage rewrites a message's state and content if its version is
// current, and reindexes its text. The conversation and the dedupe and
// thread keys are fixed at insert and keep their stored values.
func (t *tx) UpdateMessage(m *inbox.Message) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := requireID("message", m.ID); err != nil {
		return err
	}
	if err := t.own("message", &m.TenantID, false); err != nil {
		return err
	}
	var seq int64
	var conv string
	var stored []byte
	err := t.queryRow("update message", []any{&seq, &conv, &stored}, `SELECT seq, conversation_id, doc FROM messages WHERE tenant_id = ? AND id = ?`, string(t.tenant), m.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("update message %q: %w", m.ID, inbox.ErrNotFound)
	}
	if err != nil {
		return err
	}
	var old inbox.Message
	if err := decodeMessage(stored, &old); err != nil {
		return err
	}
	m.ConversationID, m.DedupeKeys, m.ThreadKeys = conv, old.DedupeKeys, old.ThreadKeys
	next := *m
	next.Version++
	doc, err := t.encodeMessage(&next)
	if err != nil {
		return err
	}
	if err := t.updateVersioned("message", "messages", m.ID, m.Version, []string{"provider_id", "sent_at", "has_attachment", "doc"},
		m.ProviderID, nanos(m.SentAt), hasAttachment(m), doc); err != nil {
		return err
	}
	m.Version++
	if err := t.flushIndex(); err != nil {
		return err
	}
	if err := t.s.d.Unindex(t.ctx, t.tx, string(t.tenant), []int64{seq}); err != nil {
		return t.s.wrap("reindex message", err)
	}
	t.index(searchDoc(m, seq, t.tenant))
	return nil
}

// messageSelect reads the columns that win over the document: MoveMessage
// changes the conversation and the version by column.
const messageSelect = `SELECT doc, conversation_id, version, created_at FROM messages `

func (t *tx) scanMessages(rows *sql.Rows) ([]inbox.Message, error) {
	defer rows.Close()
	var out []inbox.Message
	for rows.Next() {
		var doc []byte
		var conv string
		var version, created int64
		if err := rows.Scan(&doc, &conv, &version, &created); err != nil {
			return nil, t.s.wrap("scan message", err)
		}
		var m inbox.Message
		if err := decodeMessage(doc, &m); err != nil {
			return nil, err
		}
		m.ConversationID, m.Version, m.CreatedAt = conv, version, fromNanos(created)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, t.s.wrap("list messages", err)
	}
	return out, nil
}

func (t *tx) oneMessage(op, where string, args ...any) (inbox.Message, error) {
	rows, err := t.query(op, messageSelect+where, args...)
	if err != nil {
		return inbox.Message{}, err
	}
	list, err := t.scanMessages(rows)
	if err != nil {
		return inbox.Message{}, err
	}
	if len(list) == 0 {
		return inbox.Message{}, fmt.Errorf("%s: %w", op, inbox.ErrNotFound)
	}
	return list[0], nil
}

// GetMessage returns ErrNotFound for an unknown id.
func (t *tx) GetMessage(id string) (inbox.Message, error) {
	return t.oneMessage(fmt.Sprintf("message %q", id), `WHERE tenant_id = ? AND id = ?`, string(t.tenant), id)
}

// GetMessageByProviderID finds a message by its channel id.
func (t *tx) GetMessageByProviderID(integrationID, providerID string) (inbox.Message, error) {
	return t.oneMessage(fmt.Sprintf("message with provider id %q", providerID),
		`WHERE tenant_id = ? AND integration_id = ? AND provider_id = ? AND provider_id <> '' ORDER BY seq LIMIT 1`,
		string(t.tenant), integrationID, providerID)
}

// ListMessages returns a conversation's messages by SentAt, then ID.
func (t *tx) ListMessages(conversationID string) ([]inbox.Message, error) {
	if err := t.requireConversation("list messages", conversationID); err != nil {
		return nil, err
	}
	rows, err := t.query("list messages", messageSelect+`WHERE tenant_id = ? AND conversation_id = ? ORDER BY sent_at, id`,
		string(t.tenant), conversationID)
	if err != nil {
		return nil, err
	}
	return t.scanMessages(rows)
}

// FirstInbound returns the first inbound message, in ListMessages order,
// of each conversation that has one, reading the conversations in chunks
// and decoding only the messages it returns. Rows written before the
// direction column existed have none and are decided from their document.
func (t *tx) FirstInbound(conversationIDs []string) (map[string]inbox.Message, error) {
	if err := t.usable(false); err != nil {
		return nil, err
	}
	out := make(map[string]inbox.Message, len(conversationIDs))
	for ids := range slices.Chunk(conversationIDs, keyChunk) {
		if err := t.firstInbound(ids, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *tx) firstInbound(ids []string, out map[string]inbox.Message) error {
	rows, err := t.query("first inbound messages", `SELECT conversation_id, doc, version, created_at FROM messages
		WHERE tenant_id = ? AND conversation_id IN (`+placeholders(len(ids))+`) AND (direction = ? OR direction IS NULL)
		ORDER BY conversation_id, sent_at, id`, append(append([]any{string(t.tenant)}, anys(ids)...), string(inbox.DirectionIn))...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var conv string
		var doc sql.RawBytes // only decoded when chosen
		var version, created int64
		if err := rows.Scan(&conv, &doc, &version, &created); err != nil {
			return t.s.wrap("scan message", err)
		}
		if _, done := out[conv]; done {
			continue
		}
		var m inbox.Message
		if err := decodeMessage(doc, &m); err != nil {
			return err
		}
		if m.Direction != inbox.DirectionIn {
			continue // an old row without the column, outbound after all
		}
		m.ConversationID, m.Version, m.CreatedAt = conv, version, fromNanos(created)
		out[conv] = m
	}
	if err := rows.Err(); err != nil {
		return t.s.wrap("first inbound messages", err)
	}
	return nil
}

// LastInbound returns the conversation's latest inbound message in
// ListMessages order, walking the conversation's index backwards and
// decoding only the message it returns.
func (t *tx) LastInbound(conversationID string) (inbox.Message, error) {
	if err := t.requireConversation("last inbound message", conversationID); err != nil {
		return inbox.Message{}, err
	}
	rows, err := t.query("last inbound message", messageSelect+`WHERE tenant_id = ? AND conversation_id = ? AND (direction = ? OR direction IS NULL)
		ORDER BY sent_at DESC, id DESC`, string(t.tenant), conversationID, string(inbox.DirectionIn))
	if err != nil {
		return inbox.Message{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var doc sql.RawBytes
		var conv string
		var version, created int64
		if err := rows.Scan(&doc, &conv, &version, &created); err != nil {
			return inbox.Message{}, t.s.wrap("scan message", err)
		}
		var m inbox.Message
		if err := decodeMessage(doc, &m); err != nil {
			return inbox.Message{}, err
		}
		if m.Direction != inbox.DirectionIn {
			continue // an old row without the column, outbound after all
		}
		m.ConversationID, m.Version, m.CreatedAt = conv, version, fromNanos(created)
		return m, nil
	}
	if err := rows.Err(); err != nil {
		return inbox.Message{}, t.s.wrap("last inbound message", err)
	}
	return inbox.Message{}, fmt.Errorf("last inbound message of %q: %w", conversationID, inbox.ErrNotFound)
}

// LookupDedupeKeys returns, for each taken key, the message that took it.
func (t *tx) LookupDedupeKeys(keys []string) (map[string]string, error) {
	out := map[string]string{}
	err := t.lookup(keys, `SELECT key, message_id FROM dedupe_keys WHERE tenant_id = ? AND key IN (%s)`, out)
	return out, err
}

// LookupThreadKeys returns, for each key held by a stored message, the
// conversation of the holder with the greatest (CreatedAt, ID).
func (t *tx) LookupThreadKeys(keys []string) (map[string]string, error) {
	if len(t.threadKeys) > 0 {
		if err := t.flushThreadKeys(); err != nil {
			return nil, err
		}
	}
	out := map[string]string{}
	err := t.lookup(keys, `SELECT k.key, k.conversation_id FROM thread_keys k
		JOIN messages m ON m.tenant_id = k.tenant_id AND m.id = k.message_id
		WHERE k.tenant_id = ? AND k.key IN (%s) ORDER BY m.created_at, m.id`, out)
	return out, err
}

// lookup runs query for keys in chunks; later rows overwrite earlier ones.
func (t *tx) lookup(keys []string, query string, out map[string]string) error {
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	for len(keys) > 0 {
		n := min(len(keys), keyChunk)
		chunk := keys[:n]
		keys = keys[n:]
		rows, err := t.query("look up keys", fmt.Sprintf(query, placeholders(len(chunk))), append([]any{string(t.tenant)}, anys(chunk)...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return t.s.wrap("look up keys", err)
			}
			out[k] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return t.s.wrap("look up keys", err)
		}
	}
	return nil
}

// MoveMessage moves a message and its thread keys to another
// conversation; it is an update of the message (its version increments).
func (t *tx) MoveMessage(messageID, conversationID string) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if err := t.requireConversation("move message", conversationID); err != nil {
		return err
	}
	if err := t.flushVolume(); err != nil { // the move trigger reads the roll-up
		return err
	}
	var seq int64
	err := t.queryRow("move message", []any{&seq}, `UPDATE messages SET conversation_id = ?, version = version + 1 WHERE tenant_id = ? AND id = ? RETURNING seq`,
		conversationID, string(t.tenant), messageID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("move message %q: %w", messageID, inbox.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if err := t.flushThreadKeys(); err != nil {
		return err
	}
	if _, err := t.exec("move message", `UPDATE thread_keys SET conversation_id = ? WHERE tenant_id = ? AND message_id = ?`,
		conversationID, string(t.tenant), messageID); err != nil {
		return err
	}
	if err := t.flushIndex(); err != nil {
		return err
	}
	if err := t.s.d.Reindex(t.ctx, t.tx, string(t.tenant), seq, conversationID); err != nil {
		return t.s.wrap("move message", err)
	}
	return nil
}

func (t *tx) encodeMessage(m *inbox.Message) ([]byte, error) {
	doc, err := encode(m)
	if err != nil {
		return nil, err
	}
	return t.s.packDoc(doc)
}

func decodeMessage(doc []byte, m *inbox.Message) error {
	raw, err := unpackDoc(doc)
	if err != nil {
		return err
	}
	return decode(raw, m)
}

// blobRefChunk is how many messages one BlobRefsFrom query reads.
const blobRefChunk = 500

// BlobRefsFrom reports the blob keys of the messages and quarantined
// items whose ID sorts at or after fromID, reading the messages a chunk
// at a time along their primary index.
func (t *tx) BlobRefsFrom(fromID string, fn func(key string) error) error {
	if err := t.usable(false); err != nil {
		return err
	}
	report := func(keys ...string) error {
		for _, k := range keys {
			if k != "" {
				if err := fn(k); err != nil {
					return err
				}
			}
		}
		return nil
	}
	// The first page starts at fromID, the next ones after the last id read.
	after, cmp := fromID, ">="
	for {
		rows, err := t.query("list blob references", messageSelect+`WHERE tenant_id = ? AND id `+cmp+` ? ORDER BY id LIMIT ?`,
			string(t.tenant), after, blobRefChunk)
		if err != nil {
			return err
		}
		page, err := t.scanMessages(rows)
		if err != nil {
			return err
		}
		for _, m := range page {
			if err := report(m.RawKey); err != nil {
				return err
			}
			for _, a := range m.Attachments {
				if err := report(a.BlobKey); err != nil {
					return err
				}
			}
		}
		if len(page) < blobRefChunk {
			break
		}
		after, cmp = page[len(page)-1].ID, ">"
	}
	items, err := queryDocs[inbox.QuarantineItem](t, "list blob references",
		`SELECT doc, created_at FROM quarantine WHERE tenant_id = ? AND id >= ?`, string(t.tenant), fromID)
	if err != nil {
		return err
	}
	for _, q := range items {
		if err := report(q.RawKey); err != nil {
			return err
		}
	}
	return nil
}
