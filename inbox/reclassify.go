package inbox

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// ReclassifyOptions control a reclassification pass.
type ReclassifyOptions struct {
	// Cursor resumes a pass where a previous one stopped
	// (ReclassifyReport.Cursor).
	Cursor string
	// BatchSize is how many conversations are read and written per
	// transaction. 0 means 500.
	BatchSize int
	// Limit stops after this many conversations (0: all); the report's
	// Cursor resumes.
	Limit int
	// Classifier overrides the engine's classifier for this pass, e.g. to
	// re-run rules only without paying for AI calls on old conversations.
	Classifier Classifier
}

// ReclassifyReport tells how a pass went.
type ReclassifyReport struct {
	Examined int    `json:"examined"`
	Changed  int    `json:"changed"`
	Failed   int    `json:"failed"`
	Cursor   string `json:"cursor,omitempty"` // "" when the pass is complete
}

// Reclassify runs the classifier again over a tenant's conversations,
// newest first, in batches: after rules change, or to file what was left
// unfiled. Conversations an agent filed by hand and automated ones are
// skipped; a conversation filed automatically that no longer matches
// anything becomes unfiled. Progress is published as
// EventReclassifyProgress after each batch.
func (e *Engine) Reclassify(ctx context.Context, tenant TenantID, opts ReclassifyOptions) (ReclassifyReport, error) {
	c := opts.Classifier
	if c == nil {
		c = e.classifier
	}
	if c == nil {
		return ReclassifyReport{}, fmt.Errorf("reclassify: %w: no classifier configured", ErrUnsupported)
	}
	t, err := e.tenant(ctx, tenant)
	if err != nil {
		return ReclassifyReport{}, fmt.Errorf("reclassify: %w", err)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	rep := ReclassifyReport{Cursor: opts.Cursor}
	size := func() int {
		n := opts.BatchSize
		if opts.Limit > 0 {
			n = min(n, opts.Limit-rep.Examined)
		}
		return n
	}
	if size() <= 0 {
		return rep, nil
	}
	// The next batch is read (a read transaction, which runs beside the
	// writer) while the current one is classified and written, so a pass
	// costs about the larger of the two rather than their sum. Writes are
	// made at the version read, so the overlap cannot lose an update.
	pending := e.readReclassifyAsync(ctx, t, c, rep.Cursor, size())
	for {
		r := <-pending
		if r.err != nil {
			return rep, fmt.Errorf("reclassify: %w", r.err)
		}
		rep.Examined += r.examined
		var ahead chan reclassifyRead
		if r.next != "" && ctx.Err() == nil && size() > 0 {
			ahead = e.readReclassifyAsync(ctx, t, c, r.next, size())
		}
		changed, failed, err := e.applyReclassify(ctx, t, c, r.inputs)
		rep.Changed += changed
		rep.Failed += failed
		if err != nil {
			return rep, fmt.Errorf("reclassify: %w", err)
		}
		rep.Cursor = r.next
		e.bus.publish(Event{Type: EventReclassifyProgress, TenantID: tenant, Detail: "examined=" + strconv.Itoa(rep.Examined) + " changed=" + strconv.Itoa(rep.Changed), At: e.clock.Now()})
		if ahead == nil {
			return rep, ctx.Err()
		}
		pending = ahead
	}
}

// reclassifyRead is one batch of conversations read for reclassification.
type reclassifyRead struct {
	inputs   []ClassifyInput
	examined int
	next     string
	err      error
}

// readReclassifyAsync reads a batch on another goroutine; the channel is
// buffered so an abandoned read does not leak.
func (e *Engine) readReclassifyAsync(ctx context.Context, t Tenant, c Classifier, cursor string, n int) chan reclassifyRead {
	ch := make(chan reclassifyRead, 1)
	go func() { ch <- e.readReclassify(ctx, t, c, cursor, n) }()
	return ch
}

// readReclassify loads up to n conversations after cursor with what the
// classifier needs of each; manually filed and automated ones are
// examined but skipped.
func (e *Engine) readReclassify(ctx context.Context, t Tenant, c Classifier, cursor string, n int) reclassifyRead {
	var r reclassifyRead
	r.err = e.viewTx(ctx, t.ID, func(tx storeTx) error {
		folders, err := tx.ListFolders()
		if err != nil {
			return err
		}
		page, err := tx.ListConversations(ConversationQuery{Limit: n, Cursor: cursor})
		if err != nil {
			return err
		}
		r.next = page.NextCursor
		r.examined = len(page.Items)
		var eligible []Conversation
		for _, conv := range page.Items {
			if conv.Classification.By == DecidedByManual || conv.Automated {
				continue
			}
			eligible = append(eligible, conv)
		}
		// A classifier that ignores the history needs one message per
		// conversation: read them all at once.
		var firsts map[string]Message
		if !needsHistory(c) && len(eligible) > 0 {
			ids := make([]string, len(eligible))
			for i, conv := range eligible {
				ids[i] = conv.ID
			}
			if firsts, err = tx.FirstInbound(ids); err != nil {
				return err
			}
		}
		for _, conv := range eligible {
			in := ClassifyInput{Tenant: t, Conversation: conv, Folders: folders}
			if firsts != nil {
				in.Message = firsts[conv.ID]
			} else {
				msgs, err := tx.ListMessages(conv.ID)
				if err != nil {
					return err
				}
				in.History = msgs
				for _, m := range msgs {
					if m.Direction == DirectionIn {
						in.Message = m
						break
					}
				}
			}
			if in.Message.ID == "" {
				continue
			}
			if conv.ContactID != "" {
				if in.Contact, err = tx.GetContact(conv.ContactID); err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
			}
			r.inputs = append(r.inputs, in)
		}
		return nil
	})
	return r
}

// applyReclassify classifies a batch read by readReclassify and writes
// the decisions that change something, with their audit entries.
func (e *Engine) applyReclassify(ctx context.Context, t Tenant, c Classifier, inputs []ClassifyInput) (changed, failed int, err error) {
	decisions := make([]Decision, len(inputs))
	for i, in := range inputs {
		d, err := c.Classify(ctx, in)
		if err != nil {
			failed++
			d = Decision{Error: err.Error(), By: d.By}
		}
		if d.At.IsZero() {
			d.At = e.clock.Now()
		}
		decisions[i] = d
	}
	err = e.updateTx(ctx, t.ID, func(tx storeTx) error {
		var audit []AuditEntry
		for i, in := range inputs {
			d := decisions[i]
			if d.Error != "" {
				continue // keep the current filing; the error is counted
			}
			// Written at the version read above: a conversation that
			// changed meanwhile (new message, agent move) is skipped and
			// left to the next pass, never overwritten.
			conv := in.Conversation
			before := conv
			if d.FolderID == "" && conv.FolderID != "" {
				conv.FolderID = "" // the rules that filed it no longer match
			}
			applyDecision(&conv, d)
			if conv.FolderID == before.FolderID && conv.Status == before.Status && conv.Intent == before.Intent {
				continue
			}
			conv.UpdatedAt = e.clock.Now()
			if err := tx.UpdateConversation(&conv); err != nil {
				if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
					continue
				}
				return err
			}
			changed++
			audit = append(audit, AuditEntry{TenantID: t.ID, Actor: "classifier:" + d.By, Action: "conversation.reclassified", EntityType: "conversation",
				EntityID: conv.ID, ConversationID: conv.ID, Before: mustJSON(before.Classification), After: mustJSON(d), At: conv.UpdatedAt})
		}
		if len(audit) == 0 {
			return nil
		}
		return tx.AppendAudit(audit...)
	})
	return changed, failed, err
}

// reclassifyQueue remembers tenants whose folders changed, for Run.
type reclassifyQueue struct {
	mu      sync.Mutex
	pending map[TenantID]bool
	wake    chan struct{}
}

func (e *Engine) requestReclassify(tenant TenantID) {
	if e.classifier == nil {
		return
	}
	e.reclass.mu.Lock()
	if e.reclass.pending == nil {
		e.reclass.pending = map[TenantID]bool{}
	}
	e.reclass.pending[tenant] = true
	e.reclass.mu.Unlock()
	select {
	case e.reclass.wake <- struct{}{}:
	default:
	}
}

// runReclassify serves reclassification requests until ctx ends. A
// request made while a pass runs starts one more pass afterwards.
func (e *Engine) runReclassify(ctx context.Context) {
	ctx = BackgroundContext(ctx)
	for {
		e.reclass.mu.Lock()
		var tenants []TenantID
		for t := range e.reclass.pending {
			tenants = append(tenants, t)
		}
		clear(e.reclass.pending)
		e.reclass.mu.Unlock()
		for _, t := range tenants {
			if rep, err := e.Reclassify(ctx, t, ReclassifyOptions{}); err != nil && ctx.Err() == nil {
				e.log.Warn("inbox: reclassify", "tenant", string(t), "examined", rep.Examined, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-e.reclass.wake:
		}
	}
}
