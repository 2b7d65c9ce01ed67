package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// The work table's columns are authoritative for what queries and claims
// read (id, kind, key, generation, times, claim, failed); doc keeps the
// rest (payload, attempts, last error, update time).
const workSelect = `SELECT id, kind, key, generation, not_before, claimed_by, claimed_until, failed, created_at, doc FROM work`

// PutWork enqueues work; an item of the same kind and key is replaced in
// place (see driver.Tx).
func (t *tx) PutWork(w *inbox.WorkItem) error {
	const op = "put work"
	if err := t.usable(true); err != nil {
		return err
	}
	if w.Kind == "" || w.Key == "" {
		return fmt.Errorf("%s: %w", op, inbox.Invalid("work", "kind and key are required"))
	}
	if err := t.own("work item", &w.TenantID, true); err != nil {
		return err
	}
	t.stamp(&w.ID, &w.CreatedAt, &w.UpdatedAt, nil)
	w.Attempts, w.LastError, w.Failed = 0, "", false
	doc, err := encode(w)
	if err != nil {
		return err
	}
	res, err := t.exec(op, `INSERT INTO work (tenant_id, id, kind, key, generation, not_before, claimed_by, claimed_until, failed, created_at, doc)
		VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		string(t.tenant), w.ID, w.Kind, w.Key, nanos(w.NotBefore), w.ClaimedBy, nanos(w.ClaimedUntil), false, nanos(w.CreatedAt), doc)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		w.Generation = 1
		return nil
	}
	// Pending already: raise its generation, keep its claim.
	var (
		id, claimedBy              string
		generation, until, created int64
	)
	err = t.queryRow(op, []any{&id, &generation, &claimedBy, &until, &created},
		`UPDATE work SET generation = generation + 1, not_before = ?, failed = ?, doc = ? WHERE tenant_id = ? AND kind = ? AND key = ?
		RETURNING id, generation, claimed_by, claimed_until, created_at`,
		nanos(w.NotBefore), false, doc, string(t.tenant), w.Kind, w.Key)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w: the id %q is taken", op, inbox.ErrConflict, w.ID)
	}
	if err != nil {
		return err
	}
	w.ID, w.Generation, w.ClaimedBy, w.ClaimedUntil, w.CreatedAt = id, generation, claimedBy, fromNanos(until), fromNanos(created)
	return nil
}

// ListWork returns matching items, earliest NotBefore first.
func (t *tx) ListWork(q inbox.WorkQuery) ([]inbox.WorkItem, error) {
	const op = "list work"
	if err := t.usable(false); err != nil {
		return nil, err
	}
	where, args := []string{"tenant_id = ?"}, []any{string(t.tenant)}
	if q.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, q.Kind)
	}
	if q.Key != "" {
		where, args = append(where, "key = ?"), append(args, q.Key)
	}
	if q.Failed {
		where, args = append(where, "failed = ?"), append(args, true)
	}
	if !q.DueAt.IsZero() {
		at := nanos(q.DueAt)
		where = append(where, "failed = ?", "not_before <= ?", "(claimed_by = '' OR claimed_until <= ?)")
		args = append(args, false, at, at)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := t.query(op, workSelect+` WHERE `+strings.Join(where, " AND ")+` ORDER BY not_before, id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inbox.WorkItem
	for rows.Next() {
		var (
			w                         inbox.WorkItem
			notBefore, until, created int64
			doc                       []byte
		)
		if err := rows.Scan(&w.ID, &w.Kind, &w.Key, &w.Generation, &notBefore, &w.ClaimedBy, &until, &w.Failed, &created, &doc); err != nil {
			return nil, t.s.wrap(op, err)
		}
		cols := w
		if err := decode(doc, &w); err != nil {
			return nil, err
		}
		w.ID, w.Kind, w.Key, w.Generation, w.ClaimedBy, w.Failed = cols.ID, cols.Kind, cols.Key, cols.Generation, cols.ClaimedBy, cols.Failed
		w.TenantID, w.NotBefore, w.ClaimedUntil, w.CreatedAt = t.tenant, fromNanos(notBefore), fromNanos(until), fromNanos(created)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, t.s.wrap(op, err)
	}
	return out, nil
}

// ClaimWork takes an unclaimed or expired item for owner, in one
// conditional update.
func (t *tx) ClaimWork(id, owner string, now, until time.Time) (bool, error) {
	const op = "claim work"
	res, err := t.exec(op, `UPDATE work SET claimed_by = ?, claimed_until = ? WHERE tenant_id = ? AND id = ? AND (claimed_by = '' OR claimed_until <= ?)`,
		owner, nanos(until), string(t.tenant), id, nanos(now))
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	var one int
	if err := t.queryRow(op, []any{&one}, `SELECT 1 FROM work WHERE tenant_id = ? AND id = ?`, string(t.tenant), id); errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("%s %q: %w", op, id, inbox.ErrNotFound)
	} else if err != nil {
		return false, err
	}
	return false, nil
}

// UpdateWork records a run's outcome.
func (t *tx) UpdateWork(w *inbox.WorkItem) error {
	const op = "update work"
	if err := t.usable(true); err != nil {
		return err
	}
	if err := requireID("work item", w.ID); err != nil {
		return err
	}
	if err := t.own("work item", &w.TenantID, false); err != nil {
		return err
	}
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = t.s.now().UTC().Truncate(time.Microsecond)
	}
	doc, err := encode(w)
	if err != nil {
		return err
	}
	res, err := t.exec(op, `UPDATE work SET not_before = ?, claimed_by = ?, claimed_until = ?, failed = ?, doc = ? WHERE tenant_id = ? AND id = ?`,
		nanos(w.NotBefore), w.ClaimedBy, nanos(w.ClaimedUntil), w.Failed, doc, string(t.tenant), w.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s %q: %w", op, w.ID, inbox.ErrNotFound)
	}
	return nil
}

// DeleteWork removes an item still at generation.
func (t *tx) DeleteWork(id string, generation int64) (bool, error) {
	res, err := t.exec("delete work", `DELETE FROM work WHERE tenant_id = ? AND id = ? AND generation = ?`, string(t.tenant), id, generation)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
