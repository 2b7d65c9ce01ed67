package inbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Background work settings.
const (
	// maxWorkAttempts is how many times a failing work item runs before it
	// is marked failed.
	maxWorkAttempts = 8
	// workClaim is how long a worker holds an item; a worker that dies is
	// replaced after it. It bounds one run (a model call included).
	workClaim = 5 * time.Minute
	// workWait is how long an item waits for what it depends on (a
	// pending classification) before it runs again.
	workWait = 2 * time.Second
)

// errNotYet is a handler's answer when the item depends on other work
// still pending: it runs again shortly, without counting an attempt.
var errNotYet = errors.New("waiting for other work")

// workHandler runs one item. finish removes the item; a handler that
// records an effect calls it in the effect's transaction, so the work is
// never done twice. A nil error without finish leaves the worker to
// remove the item.
type workHandler func(ctx context.Context, tenant Tenant, w WorkItem, finish func(tx storeTx) error) error

func (e *Engine) workHandlers() map[string]workHandler {
	return map[string]workHandler{
		WorkClassify:    e.runClassify,
		WorkAutoReply:   e.runAutoReply,
		WorkLinkContact: e.runLinkContact,
		WorkWake:        e.runWake,
	}
}

// kickWork wakes the worker after work was enqueued.
func (e *Engine) kickWork() {
	select {
	case e.workWake <- struct{}{}:
	default:
	}
}

// DoWork runs a tenant's due background work now (classification by slow
// classifiers, auto-replies, contact linking) and returns how many items
// ran. Run does this continuously; hosts that do not call Run, and tests,
// call DoWork after ingesting.
func (e *Engine) DoWork(ctx context.Context, tenant TenantID) (int, error) {
	t, err := e.tenant(ctx, tenant)
	if err != nil {
		return 0, fmt.Errorf("do work: %w", err)
	}
	total := 0
	for ctx.Err() == nil {
		n, err := e.workRound(ctx, t, e.instance)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, ctx.Err()
}

// workRound claims up to Options.MaxConcurrentWork due items of a tenant
// and runs them concurrently; it returns how many ran.
func (e *Engine) workRound(ctx context.Context, t Tenant, owner string) (int, error) {
	claimed, err := e.claimWork(ctx, t, owner, e.workPerTenant)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	var batch []WorkItem
	for _, w := range claimed {
		if w.Kind == WorkClassify {
			batch = append(batch, w)
			continue
		}
		wg.Go(func() { e.runWork(ctx, t, w) })
	}
	wg.Go(func() { e.runClassifyBatch(ctx, t, batch) })
	wg.Wait()
	return len(claimed), nil
}

// drainWork runs a tenant's due work until none is left, keeping up to
// Options.MaxConcurrentWork items running: as soon as one ends, the next
// is claimed, so a slow model call never holds the others back. While
// items run and none is due, it looks again when one ends or after
// workWait (an item waiting for another becomes due).
func (e *Engine) drainWork(ctx context.Context, t Tenant, owner string) {
	ctx = BackgroundContext(ctx)
	var running sync.WaitGroup
	defer running.Wait()
	ended := make(chan struct{}, e.workPerTenant)
	busy := 0
	for ctx.Err() == nil {
	count:
		for {
			select {
			case <-ended:
				busy--
			default:
				break count
			}
		}
		if busy == e.workPerTenant {
			<-ended
			busy--
			continue
		}
		claimed, yielded, err := e.claimWorkYielding(ctx, t, owner, e.workPerTenant-busy, true)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("inbox: background work", "tenant", string(t.ID), "err", err)
			}
			return
		}
		// Classification items run as one batch; the others one by one.
		var batch []WorkItem
		for _, w := range claimed {
			busy++
			if w.Kind == WorkClassify {
				batch = append(batch, w)
				continue
			}
			running.Go(func() {
				defer func() { ended <- struct{}{} }()
				e.runWork(ctx, t, w)
			})
		}
		if len(batch) > 0 {
			running.Go(func() {
				e.runClassifyBatch(ctx, t, batch)
				for range batch {
					ended <- struct{}{}
				}
			})
		}
		if len(claimed) > 0 {
			continue
		}
		if yielded {
			// Classification waits for intake to pause: look again
			// once it may have (wall time, as the gauge measures).
			pause := time.NewTimer(intakeQuiet)
			select {
			case <-ended:
				busy--
			case <-pause.C:
			case <-ctx.Done():
			}
			pause.Stop()
			continue
		}
		if busy == 0 {
			return
		}
		timer := e.newTimer(workWait)
		select {
		case <-ended:
			busy--
		case <-timer.C():
		case <-ctx.Done():
		}
		timer.Stop()
	}
}

// claimWork claims up to n due items of a tenant for owner.
func (e *Engine) claimWork(ctx context.Context, t Tenant, owner string, n int) ([]WorkItem, error) {
	claimed, _, err := e.claimWorkYielding(ctx, t, owner, n, false)
	return claimed, err
}

// claimWorkYielding claims up to n due items of a tenant for owner; with
// yield, classification items that yield to intake (see yields) are left
// and yielded reports whether any was.
func (e *Engine) claimWorkYielding(ctx context.Context, t Tenant, owner string, n int, yield bool) (claimed []WorkItem, yielded bool, err error) {
	now := e.clock.Now()
	err = e.updateTx(ctx, t.ID, func(tx storeTx) error {
		claimed, yielded = claimed[:0], false
		due, err := tx.ListWork(WorkQuery{DueAt: now, Limit: n})
		if err != nil {
			return err
		}
		if yield && slices.ContainsFunc(due, func(w WorkItem) bool { return e.yields(w, now) }) {
			// Other kinds may wait behind the classification items:
			// look for each kind on its own.
			yielded = true
			due = slices.DeleteFunc(due, func(w WorkItem) bool { return w.Kind != WorkClassify || e.yields(w, now) })
			for _, kind := range sortedKeys(e.workHandlers()) {
				if kind == WorkClassify || len(due) >= n {
					continue
				}
				more, err := tx.ListWork(WorkQuery{DueAt: now, Kind: kind, Limit: n - len(due)})
				if err != nil {
					return err
				}
				due = append(due, more...)
			}
		}
		for _, w := range due {
			ok, err := tx.ClaimWork(w.ID, owner, now, now.Add(workClaim))
			if err != nil {
				return err
			}
			if ok {
				w.ClaimedBy, w.ClaimedUntil = owner, now.Add(workClaim)
				claimed = append(claimed, w)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("claim work of tenant %q: %w", t.ID, err)
	}
	return claimed, yielded, nil
}

// runWork runs one claimed item and records its outcome.
func (e *Engine) runWork(ctx context.Context, t Tenant, w WorkItem) {
	handler := e.workHandlers()[w.Kind]
	finished := false
	finish := func(tx storeTx) error {
		if err := finishWork(tx, w); err != nil {
			return err
		}
		finished = true
		return nil
	}
	var err error
	start := time.Now()
	if handler == nil {
		err = fmt.Errorf("no handler for %q work", w.Kind)
	} else {
		err = safeRun(func() error { return handler(ctx, t, w, finish) })
	}
	e.metrics.observe("work_seconds", time.Since(start), "kind", w.Kind)
	if err == nil && !finished {
		err = e.updateTx(context.WithoutCancel(ctx), t.ID, finish)
	}
	if err == nil {
		e.workDone(w, 1)
		return
	}
	e.workFailed(ctx, t, w, handler == nil, err)
}

// finishWork removes a done item in tx; an item enqueued again while it
// ran is released to run once more.
func finishWork(tx storeTx, w WorkItem) error {
	done, err := tx.DeleteWork(w.ID, w.Generation)
	if err != nil {
		return err
	}
	if !done {
		w.ClaimedBy, w.ClaimedUntil = "", time.Time{}
		if err := tx.UpdateWork(&w); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// workDone counts n done items of w's kind.
func (e *Engine) workDone(w WorkItem, n int) {
	e.metrics.add("work_done", n)
	e.metrics.host.Add("work_total", float64(n), "kind", w.Kind, "outcome", "done")
}

// workFailed records a failure (or a wait) on the item, to be retried
// later; final marks it failed at once.
func (e *Engine) workFailed(ctx context.Context, t Tenant, w WorkItem, final bool, err error) {
	w.ClaimedBy, w.ClaimedUntil = "", time.Time{}
	now := e.clock.Now()
	switch {
	case errors.Is(err, errNotYet):
		w.NotBefore = now.Add(workWait)
	case ctx.Err() != nil:
		w.NotBefore = now // interrupted by shutdown: due at once on restart
	default:
		w.Attempts++
		w.LastError = err.Error()
		w.NotBefore = now.Add(backoff(w.Attempts, rand.Float64()))
		outcome := "retry"
		if w.Attempts >= maxWorkAttempts || final {
			w.Failed, outcome = true, "failed"
			e.metrics.add("work_failed", 1)
		}
		e.metrics.host.Add("work_total", 1, "kind", w.Kind, "outcome", outcome)
		e.log.Warn("inbox: background work failed", "tenant", string(t.ID), "kind", w.Kind, "key", w.Key,
			"attempt", w.Attempts, "final", w.Failed, "err", err)
	}
	w.UpdatedAt = now
	if uerr := e.updateTx(context.WithoutCancel(ctx), t.ID, func(tx storeTx) error { return tx.UpdateWork(&w) }); uerr != nil && !errors.Is(uerr, ErrNotFound) {
		e.log.Error("inbox: record background work", "tenant", string(t.ID), "kind", w.Kind, "err", uerr)
	}
}

// runClassifyBatch runs claimed classification items together: one read
// and one write transaction for all of them, the write also removing
// the items (a first sync enqueues one per conversation). An item whose
// classifier failed is recorded for a retry, as runWork would; if the
// batch cannot be written, each item runs on its own.
func (e *Engine) runClassifyBatch(ctx context.Context, t Tenant, items []WorkItem) {
	if len(items) == 0 {
		return
	}
	if e.classifier == nil {
		for _, w := range items {
			e.runWork(ctx, t, w)
		}
		return
	}
	byKey := map[string][]WorkItem{}
	var ids []string
	for _, w := range items {
		if _, dup := byKey[w.Key]; !dup {
			ids = append(ids, w.Key)
		}
		byKey[w.Key] = append(byKey[w.Key], w)
	}
	start := time.Now()
	failed, err := e.classifyBatch(ctx, t, ids, e.classifier, func(tx storeTx, id string) error {
		for _, w := range byKey[id] {
			if err := e.autoReplyAfterFiling(tx, t, w); err != nil {
				return err
			}
			if err := finishWork(tx, w); err != nil {
				return err
			}
		}
		return nil
	})
	e.metrics.observe("work_seconds", time.Since(start)/time.Duration(len(items)), "kind", WorkClassify)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("inbox: classification batch failed; items run one by one", "tenant", string(t.ID), "items", len(items), "err", err)
		}
		for _, w := range items {
			e.runWork(ctx, t, w)
		}
		return
	}
	done := len(items)
	for id, cerr := range failed {
		for _, w := range byKey[id] {
			done--
			e.workFailed(ctx, t, w, false, fmt.Errorf("classify conversation %q: %w", id, cerr))
		}
	}
	if done > 0 {
		e.workDone(items[0], done)
	}
}

// safeRun turns a handler's panic into an error, so one bad item does not
// take the worker down.
func safeRun(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn()
}

// RunWork runs every tenant's background work until ctx ends: at once
// when work is enqueued, and at least every interval for retries (0 means
// 5 s). Run starts it; several instances may run it against one store,
// each item being claimed by one of them.
func (e *Engine) RunWork(ctx context.Context, interval time.Duration) error {
	return e.everyTenant(ctx, "background work", interval, e.workWake, 8, func(t Tenant) {
		e.drainWork(ctx, t, e.instance)
	})
}

// runClassify is the WorkClassify handler: the full classifier (slow
// parts included) files a conversation that is still unfiled.
func (e *Engine) runClassify(ctx context.Context, tenant Tenant, w WorkItem, finish func(tx storeTx) error) error {
	if e.classifier == nil {
		return nil
	}
	_, changed, err := e.classifyOne(ctx, tenant, w.Key, true, e.classifier)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if changed {
		e.bus.publish(Event{Type: EventConversationUpdated, TenantID: tenant.ID, ConversationID: w.Key, Detail: "classified", At: e.clock.Now()})
	}
	return e.updateTx(context.WithoutCancel(ctx), tenant.ID, func(tx storeTx) error {
		if err := e.autoReplyAfterFiling(tx, tenant, w); err != nil {
			return err
		}
		return finish(tx)
	})
}

// autoReplyAfterFiling enqueues, in tx, the auto-reply a classification
// item carries (its Payload: the customer message to answer) when the
// conversation is now in a folder that answers automatically. The
// guard (AutoReplyBlocked) still decides when the auto-reply runs.
func (e *Engine) autoReplyAfterFiling(tx storeTx, t Tenant, w WorkItem) error {
	if w.Payload == "" || e.responder == nil {
		return nil
	}
	conv, err := tx.GetConversation(w.Key)
	if errors.Is(err, ErrNotFound) || err == nil && conv.FolderID == "" {
		return nil
	}
	if err != nil {
		return err
	}
	f, err := tx.GetFolder(conv.FolderID)
	if errors.Is(err, ErrNotFound) || err == nil && f.AutoReply.Mode == AutoReplyOff {
		return nil
	}
	if err != nil {
		return err
	}
	now := e.clock.Now()
	item := WorkItem{TenantID: t.ID, Kind: WorkAutoReply, Key: w.Key, Payload: w.Payload, NotBefore: now, CreatedAt: now, UpdatedAt: now}
	if err := tx.PutWork(&item); err != nil {
		return fmt.Errorf("enqueue auto-reply: %w", err)
	}
	return nil
}

// runLinkContact is the WorkLinkContact handler.
func (e *Engine) runLinkContact(ctx context.Context, tenant Tenant, w WorkItem, finish func(tx storeTx) error) error {
	return e.linkContact(ctx, tenant.ID, w.Key)
}
