package memstore

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

func (t *tx) AddQuarantine(q *inbox.QuarantineItem) error {
	if err := inbox.CheckText("quarantine", q); err != nil {
		return fmt.Errorf("memstore: add quarantine: %w", err)
	}
	if err := t.begin("add quarantine", &q.TenantID, &q.ID, &q.CreatedAt); err != nil {
		return err
	}
	if _, ok := t.state.quarantine[q.ID]; ok {
		return conflict("add quarantine", q.ID)
	}
	if err := t.quarantineKeyFree("add quarantine", q); err != nil {
		return err
	}
	put(&t.undo, t.state.quarantine, q.ID, cloneQuarantine(*q))
	return nil
}

func (t *tx) UpdateQuarantine(q *inbox.QuarantineItem) error {
	if err := inbox.CheckText("quarantine", q); err != nil {
		return fmt.Errorf("memstore: update quarantine: %w", err)
	}
	if err := t.write("update quarantine"); err != nil {
		return err
	}
	if err := t.ownExisting("quarantine item", q.ID, &q.TenantID); err != nil {
		return err
	}
	cur, ok := t.state.quarantine[q.ID]
	if !ok {
		return notFound("quarantine item", q.ID)
	}
	if err := t.quarantineKeyFree("update quarantine", q); err != nil {
		return err
	}
	next := cloneQuarantine(*q)
	next.CreatedAt = cur.CreatedAt
	put(&t.undo, t.state.quarantine, q.ID, next)
	return nil
}

// quarantineKeyFree refuses a key another item holds.
func (t *tx) quarantineKeyFree(op string, q *inbox.QuarantineItem) error {
	if q.Key == "" {
		return nil
	}
	for id, other := range t.state.quarantine {
		if id != q.ID && other.Key == q.Key {
			return fmt.Errorf("memstore: %s: key %q taken by quarantine item %q: %w", op, q.Key, id, inbox.ErrConflict)
		}
	}
	return nil
}

func (t *tx) GetQuarantine(id string) (inbox.QuarantineItem, error) {
	if err := t.read(); err != nil {
		return inbox.QuarantineItem{}, err
	}
	q, ok := t.state.quarantine[id]
	if !ok {
		return inbox.QuarantineItem{}, notFound("quarantine item", id)
	}
	return cloneQuarantine(q), nil
}

// ListQuarantine returns items newest first, replayed ones only on request.
func (t *tx) ListQuarantine(q inbox.QuarantineQuery) ([]inbox.QuarantineItem, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	var out []inbox.QuarantineItem
	for _, item := range t.state.quarantine {
		if (q.IntegrationID == "" || item.IntegrationID == q.IntegrationID) && (q.Key == "" || item.Key == q.Key) &&
			(q.IncludeReplayed || item.ReplayedAt.IsZero()) {
			out = append(out, item)
		}
	}
	slices.SortFunc(out, func(a, b inbox.QuarantineItem) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	out = out[:min(len(out), limitOr(q.Limit, 50))]
	for i := range out {
		out[i] = cloneQuarantine(out[i])
	}
	return out, nil
}

// AppendAudit adds entries; an entry id already present is ErrConflict
// and then none of the entries is added.
func (t *tx) AppendAudit(entries ...inbox.AuditEntry) error {
	if err := inbox.CheckText("audit", entries); err != nil {
		return fmt.Errorf("memstore: append audit: %w", err)
	}
	if err := t.write("append audit"); err != nil {
		return err
	}
	batch := make([]inbox.AuditEntry, len(entries))
	seen := map[string]bool{}
	now := storeNow()
	for i, e := range entries {
		if err := t.own("append audit", &e.TenantID); err != nil {
			return err
		}
		if e.ID == "" {
			e.ID = inbox.NewID()
		}
		if _, ok := t.state.auditIDs[e.ID]; ok || seen[e.ID] {
			return conflict("append audit entry", e.ID)
		}
		seen[e.ID] = true
		setIfZero(&e.At, now)
		batch[i] = cloneAudit(e)
	}
	t.appendAuditChunks(batch)
	for _, e := range batch {
		put(&t.undo, t.state.auditIDs, e.ID, struct{}{})
	}
	return nil
}

// auditChunk is how many entries one audit chunk holds.
const auditChunk = 1024

// appendAuditChunks appends entries to the chunked log; the undo truncates
// it back.
func (t *tx) appendAuditChunks(entries []inbox.AuditEntry) {
	log := &t.state.audit
	chunks := len(*log)
	lastLen := 0
	if chunks > 0 {
		lastLen = len((*log)[chunks-1])
	}
	t.undo = append(t.undo, func() {
		*log = (*log)[:chunks]
		if chunks > 0 {
			(*log)[chunks-1] = (*log)[chunks-1][:lastLen]
		}
	})
	for _, e := range entries {
		n := len(*log)
		if n == 0 || len((*log)[n-1]) == auditChunk {
			*log = append(*log, make([]inbox.AuditEntry, 0, auditChunk))
			n++
		}
		(*log)[n-1] = append((*log)[n-1], e)
	}
}

// all iterates the entries of a chunked log.
func all(chunks [][]inbox.AuditEntry) func(yield func(int, inbox.AuditEntry) bool) {
	return func(yield func(int, inbox.AuditEntry) bool) {
		i := 0
		for _, chunk := range chunks {
			for _, e := range chunk {
				if !yield(i, e) {
					return
				}
				i++
			}
		}
	}
}

// ListAudit returns entries newest first.
func (t *tx) ListAudit(q inbox.AuditQuery) ([]inbox.AuditEntry, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	since, until := ts(q.Since), ts(q.Until)
	var out []inbox.AuditEntry
	for _, e := range all(t.state.audit) {
		if (q.ConversationID == "" || e.ConversationID == q.ConversationID) &&
			(q.EntityID == "" || e.EntityID == q.EntityID) &&
			(since.IsZero() || !e.At.Before(since)) &&
			(until.IsZero() || e.At.Before(until)) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b inbox.AuditEntry) int {
		return cmp.Or(b.At.Compare(a.At), cmp.Compare(b.ID, a.ID))
	})
	out = out[:min(len(out), limitOr(q.Limit, 100))]
	for i := range out {
		out[i] = cloneAudit(out[i])
	}
	return out, nil
}

func (t *tx) CreateNotification(n *inbox.Notification) error {
	if err := inbox.CheckText("notification", n); err != nil {
		return fmt.Errorf("memstore: create notification: %w", err)
	}
	if err := t.begin("create notification", &n.TenantID, &n.ID, &n.CreatedAt); err != nil {
		return err
	}
	if _, ok := t.state.notifications[n.ID]; ok {
		return conflict("create notification", n.ID)
	}
	put(&t.undo, t.state.notifications, n.ID, cloneNotification(*n))
	return nil
}

// ListNotifications returns notifications newest first.
func (t *tx) ListNotifications(q inbox.NotificationQuery) ([]inbox.Notification, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	var out []inbox.Notification
	for _, n := range t.state.notifications {
		if (q.UserID == "" || n.UserID == q.UserID) && (!q.UnreadOnly || n.ReadAt.IsZero()) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b inbox.Notification) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return out[:min(len(out), limitOr(q.Limit, 50))], nil
}

// MarkNotificationRead sets ReadAt once; a read notification keeps its
// first read time.
func (t *tx) MarkNotificationRead(id string, at time.Time) error {
	if err := t.write("mark notification read"); err != nil {
		return err
	}
	n, ok := t.state.notifications[id]
	if !ok {
		return notFound("notification", id)
	}
	if !n.ReadAt.IsZero() {
		return nil
	}
	if at.IsZero() {
		return fmt.Errorf("memstore: mark notification read: %w", inbox.Invalid("at", "is required"))
	}
	n.ReadAt = ts(at)
	put(&t.undo, t.state.notifications, id, n)
	return nil
}

// BlobRefsFrom reports the blob keys of the messages and quarantined
// items whose ID sorts at or after fromID.
func (t *tx) BlobRefsFrom(fromID string, fn func(key string) error) error {
	if err := t.read(); err != nil {
		return err
	}
	for id, m := range t.state.messages {
		if id < fromID {
			continue
		}
		if m.RawKey != "" {
			if err := fn(m.RawKey); err != nil {
				return err
			}
		}
		for _, a := range m.Attachments {
			if a.BlobKey != "" {
				if err := fn(a.BlobKey); err != nil {
					return err
				}
			}
		}
	}
	for id, q := range t.state.quarantine {
		if id >= fromID && q.RawKey != "" {
			if err := fn(q.RawKey); err != nil {
				return err
			}
		}
	}
	return nil
}
