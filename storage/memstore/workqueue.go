package memstore

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// workKey identifies a work item by kind and key.
type workKey struct{ kind, key string }

// PutWork enqueues work, replacing a pending item of the same kind and key.
func (t *tx) PutWork(w *inbox.WorkItem) error {
	if err := inbox.CheckText("work", w); err != nil {
		return fmt.Errorf("memstore: put work: %w", err)
	}
	if w.Kind == "" || w.Key == "" {
		return fmt.Errorf("memstore: put work: %w", inbox.Invalid("work", "kind and key are required"))
	}
	if err := t.write("put work"); err != nil {
		return err
	}
	if err := t.own("put work", &w.TenantID); err != nil {
		return err
	}
	now := storeNow()
	if id, ok := t.state.workByKey[workKey{w.Kind, w.Key}]; ok {
		cur := t.state.work[id]
		cur.Payload, cur.NotBefore = w.Payload, ts(w.NotBefore)
		cur.Generation++
		cur.Attempts, cur.LastError, cur.Failed = 0, "", false
		cur.UpdatedAt = now
		if !w.UpdatedAt.IsZero() {
			cur.UpdatedAt = ts(w.UpdatedAt)
		}
		put(&t.undo, t.state.work, id, cur)
		*w = cur
		return nil
	}
	if w.ID == "" {
		w.ID = inbox.NewID()
	}
	setIfZero(&w.CreatedAt, now)
	setIfZero(&w.UpdatedAt, w.CreatedAt)
	w.Generation = 1
	rec := *w
	rec.NotBefore, rec.ClaimedUntil, rec.CreatedAt, rec.UpdatedAt = ts(rec.NotBefore), ts(rec.ClaimedUntil), ts(rec.CreatedAt), ts(rec.UpdatedAt)
	put(&t.undo, t.state.work, w.ID, rec)
	put(&t.undo, t.state.workByKey, workKey{w.Kind, w.Key}, w.ID)
	*w = rec
	return nil
}

// ListWork orders by NotBefore, then id.
func (t *tx) ListWork(q inbox.WorkQuery) ([]inbox.WorkItem, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	due := ts(q.DueAt)
	var out []inbox.WorkItem
	for _, w := range t.state.work {
		switch {
		case q.Kind != "" && w.Kind != q.Kind,
			q.Key != "" && w.Key != q.Key,
			q.Failed && !w.Failed,
			!due.IsZero() && (w.Failed || w.NotBefore.After(due) || (w.ClaimedBy != "" && w.ClaimedUntil.After(due))):
			continue
		}
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b inbox.WorkItem) int {
		return cmp.Or(a.NotBefore.Compare(b.NotBefore), cmp.Compare(a.ID, b.ID))
	})
	return out[:min(len(out), limitOr(q.Limit, 100))], nil
}

// ClaimWork takes an unclaimed or expired item for owner.
func (t *tx) ClaimWork(id, owner string, now, until time.Time) (bool, error) {
	if err := t.write("claim work"); err != nil {
		return false, err
	}
	w, ok := t.state.work[id]
	if !ok {
		return false, notFound("work item", id)
	}
	if w.ClaimedBy != "" && w.ClaimedUntil.After(ts(now)) {
		return false, nil
	}
	w.ClaimedBy, w.ClaimedUntil = owner, ts(until)
	put(&t.undo, t.state.work, id, w)
	return true, nil
}

// UpdateWork records a run's outcome.
func (t *tx) UpdateWork(w *inbox.WorkItem) error {
	if err := inbox.CheckText("work", w); err != nil {
		return fmt.Errorf("memstore: update work: %w", err)
	}
	if err := t.write("update work"); err != nil {
		return err
	}
	if err := t.ownExisting("work item", w.ID, &w.TenantID); err != nil {
		return err
	}
	cur, ok := t.state.work[w.ID]
	if !ok {
		return notFound("work item", w.ID)
	}
	cur.Attempts, cur.LastError, cur.NotBefore, cur.Failed = w.Attempts, w.LastError, ts(w.NotBefore), w.Failed
	cur.ClaimedBy, cur.ClaimedUntil = w.ClaimedBy, ts(w.ClaimedUntil)
	cur.UpdatedAt = storeNow()
	if !w.UpdatedAt.IsZero() {
		cur.UpdatedAt = ts(w.UpdatedAt)
	}
	put(&t.undo, t.state.work, w.ID, cur)
	return nil
}

// DeleteWork removes an item still at generation.
func (t *tx) DeleteWork(id string, generation int64) (bool, error) {
	if err := t.write("delete work"); err != nil {
		return false, err
	}
	w, ok := t.state.work[id]
	if !ok || w.Generation != generation {
		return false, nil
	}
	del(&t.undo, t.state.work, id)
	del(&t.undo, t.state.workByKey, workKey{w.Kind, w.Key})
	return true, nil
}
