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
	for {
		n := opts.BatchSize
		if opts.Limit > 0 {
			n = min(n, opts.Limit-rep.Examined)
			if n <= 0 {
				return rep, nil
			}
		}
		next, err := e.reclassifyBatch(ctx, t, c, rep.Cursor, n, &rep)
		if err != nil {
			return rep, fmt.Errorf("reclassify: %w", err)
		}
		rep.Cursor = next
		e.bus.publish(Event{Type: EventReclassifyProgress, TenantID: tenant, Detail: "examined=" + strconv.Itoa(rep.Examined) + " changed=" + strconv.Itoa(rep.Changed), At: e.clock.Now()})
		if next == "" || ctx.Err() != nil {
			return rep, ctx.Err()
		}
	}
}

func (e *Engine) reclassifyBatch(ctx context.Context, t Tenant, c Classifier, cursor string, n int, rep *ReclassifyReport) (string, error) {
	var inputs []ClassifyInput
	var next string
	err := e.store.View(ctx, t.ID, func(tx Tx) error {
		folders, err := tx.ListFolders()
		if err != nil {
			return err
		}
		page, err := tx.ListConversations(ConversationQuery{Limit: n, Cursor: cursor})
		if err != nil {
			return err
		}
		next = page.NextCursor
		for _, conv := range page.Items {
			rep.Examined++
			if conv.Classification.By == DecidedByManual || conv.Automated {
				continue
			}
			msgs, err := tx.ListMessages(conv.ID)
			if err != nil {
				return err
			}
			in := ClassifyInput{Tenant: t, Conversation: conv, Folders: folders, History: msgs}
			for _, m := range msgs {
				if m.Direction == DirectionIn {
					in.Message = m
					break
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
			inputs = append(inputs, in)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	decisions := make([]Decision, len(inputs))
	for i, in := range inputs {
		d, err := c.Classify(ctx, in)
		if err != nil {
			rep.Failed++
			d = Decision{Error: err.Error(), By: d.By}
		}
		if d.At.IsZero() {
			d.At = e.clock.Now()
		}
		decisions[i] = d
	}
	err = e.store.Update(ctx, t.ID, func(tx Tx) error {
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
			rep.Changed++
			audit = append(audit, AuditEntry{TenantID: t.ID, Actor: "classifier:" + d.By, Action: "conversation.reclassified", EntityType: "conversation",
				EntityID: conv.ID, ConversationID: conv.ID, Before: mustJSON(before.Classification), After: mustJSON(d), At: conv.UpdatedAt})
		}
		if len(audit) == 0 {
			return nil
		}
		return tx.AppendAudit(audit...)
	})
	return next, err
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
