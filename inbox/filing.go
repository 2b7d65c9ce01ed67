package inbox

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Classify runs the configured Classifier on a conversation's latest
// customer message and applies its decision. A conversation an agent has
// filed by hand is never refiled. It returns the decision applied (which
// may abstain).
func (e *Engine) Classify(ctx context.Context, tenantID TenantID, conversationID string) (Decision, error) {
	if e.classifier == nil {
		return Decision{}, fmt.Errorf("classify: %w: no classifier configured", ErrUnsupported)
	}
	tenant, err := e.tenant(ctx, tenantID)
	if err != nil {
		return Decision{}, fmt.Errorf("classify: %w", err)
	}
	d, changed, err := e.classifyOne(ctx, tenant, conversationID, false, e.classifier)
	if err != nil {
		return Decision{}, err
	}
	if changed {
		e.bus.publish(Event{Type: EventConversationUpdated, TenantID: tenantID, ConversationID: conversationID, Detail: "classified", At: e.clock.Now()})
	}
	return d, nil
}

// classifyConversations files freshly ingested conversations: their
// inputs are read in one transaction and the decisions written in one,
// so filing a batch costs two transactions, not two per conversation.
// Failures are recorded on the conversation and logged; the messages are
// already safe in the store.
func (e *Engine) classifyConversations(ctx context.Context, tenant Tenant, ids []string, c Classifier) {
	if _, err := e.classifyBatch(ctx, tenant, ids, c, nil); err != nil {
		e.log.Warn("inbox: classification failed", "tenant", string(tenant.ID), "conversations", len(ids), "err", err)
	}
}

// classifyBatch classifies conversations ids (those still to be filed,
// see classifyInput) with c: inputs read in one transaction, decisions
// made on every core, and written in one transaction, in which done runs
// for each conversation that needs nothing more (decided without error,
// or not to be classified). It returns the conversations whose
// classifier failed; their failure is recorded on them and logged.
func (e *Engine) classifyBatch(ctx context.Context, tenant Tenant, ids []string, c Classifier, done func(tx storeTx, id string) error) (map[string]error, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	history := needsHistory(c)
	inputs := map[string]ClassifyInput{}
	err := e.viewTx(ctx, tenant.ID, func(tx storeTx) error {
		folders, err := tx.ListFolders()
		if err != nil {
			return fmt.Errorf("folders: %w", err)
		}
		// The opening messages of the whole batch in one query.
		var first map[string]Message
		if !history && len(ids) > 1 {
			if first, err = tx.FirstInbound(ids); err != nil {
				return fmt.Errorf("first messages: %w", err)
			}
		}
		for _, id := range ids {
			in, ok, err := e.classifyInputWith(tx, tenant, id, true, history, folders, first)
			if errors.Is(err, ErrNotFound) {
				continue // deleted meanwhile
			}
			if err != nil {
				return err
			}
			if ok {
				inputs[id] = in
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	decisions, failed := e.decideAll(ctx, tenant, c, ids, inputs)
	if len(decisions) == 0 && done == nil {
		return failed, nil
	}
	var changed []string
	err = e.updateTx(ctx, tenant.ID, func(tx storeTx) error {
		changed = changed[:0]
		for _, id := range ids {
			if d, ok := decisions[id]; ok {
				ch, err := e.applyClassification(tx, tenant, id, d)
				if err != nil && !errors.Is(err, ErrNotFound) { // not found: deleted meanwhile
					return fmt.Errorf("classify conversation %q: %w", id, err)
				}
				if ch {
					changed = append(changed, id)
				}
			}
			if _, bad := failed[id]; !bad && done != nil {
				if err := done(tx, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	events := make([]Event, 0, len(changed))
	for _, id := range changed {
		events = append(events, Event{Type: EventConversationUpdated, TenantID: tenant.ID, ConversationID: id, Detail: "classified", At: e.clock.Now()})
	}
	e.bus.publish(events...)
	return failed, nil
}

// decideAll decides on the inputs of ids (those present) with c.
// Classifiers are safe for concurrent use and offline ones are CPU bound:
// it decides on every core. failed holds the classifier errors, already
// recorded in their decisions and logged.
func (e *Engine) decideAll(ctx context.Context, tenant Tenant, c Classifier, ids []string, inputs map[string]ClassifyInput) (decisions map[string]Decision, failed map[string]error) {
	decisions = map[string]Decision{}
	failed = map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, id := range ids {
		in, ok := inputs[id]
		if !ok {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d, cerr := e.decide(ctx, c, in)
			if cerr != nil {
				e.log.Warn("inbox: classification failed", "tenant", string(tenant.ID), "conversation", id, "err", cerr)
			}
			mu.Lock()
			decisions[id] = d
			if cerr != nil {
				failed[id] = cerr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return decisions, failed
}

func (e *Engine) classifyOne(ctx context.Context, tenant Tenant, id string, onlyUnfiled bool, c Classifier) (Decision, bool, error) {
	var (
		in ClassifyInput
		ok bool
	)
	err := e.viewTx(ctx, tenant.ID, func(tx storeTx) error {
		folders, err := tx.ListFolders()
		if err != nil {
			return fmt.Errorf("folders: %w", err)
		}
		in, ok, err = e.classifyInput(tx, tenant, id, onlyUnfiled, needsHistory(c), folders)
		return err
	})
	if err != nil {
		return Decision{}, false, fmt.Errorf("classify: %w", err)
	}
	if !ok {
		return Decision{}, false, nil
	}
	d, cerr := e.decide(ctx, c, in)
	changed := false
	err = e.updateTx(ctx, tenant.ID, func(tx storeTx) error {
		var err error
		changed, err = e.applyClassification(tx, tenant, id, d)
		return err
	})
	if err != nil {
		return Decision{}, false, fmt.Errorf("classify conversation %q: %w", id, err)
	}
	if cerr != nil {
		return d, changed, fmt.Errorf("classify conversation %q: %w", id, cerr)
	}
	return d, changed, nil
}

// classifyInput reads what the classifier needs about conversation id;
// ok is false when it is not to be classified (filed by hand, already
// filed when onlyUnfiled, decided since the folders last changed, or
// with no customer message); a pending decision is always completed.
func (e *Engine) classifyInput(tx storeTx, tenant Tenant, id string, onlyUnfiled, history bool, folders []Folder) (ClassifyInput, bool, error) {
	return e.classifyInputWith(tx, tenant, id, onlyUnfiled, history, folders, nil)
}

// classifyInputWith is classifyInput with the opening messages already
// read (FirstInbound of a batch) when first is not nil.
func (e *Engine) classifyInputWith(tx storeTx, tenant Tenant, id string, onlyUnfiled, history bool, folders []Folder, first map[string]Message) (ClassifyInput, bool, error) {
	conv, err := tx.GetConversation(id)
	if err != nil {
		return ClassifyInput{}, false, fmt.Errorf("conversation %q: %w", id, err)
	}
	// A decision the classifier's fast part left pending is completed
	// by the whole classifier, whatever it filed.
	pending := conv.Classification.Pending
	if conv.Classification.By == DecidedByManual || (onlyUnfiled && conv.FolderID != "" && !pending) {
		return ClassifyInput{}, false, nil
	}
	if onlyUnfiled && !history && !pending && classifiedSince(conv, folders) {
		// A classifier that reads only the opening message answers as
		// before until the folders change: a new message of an
		// unfiled conversation costs nothing, however long it is.
		return ClassifyInput{}, false, nil
	}
	contact, err := tx.GetContact(conv.ContactID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return ClassifyInput{}, false, fmt.Errorf("contact: %w", err)
	}
	in := ClassifyInput{Tenant: tenant, Conversation: conv, Contact: contact, Folders: folders}
	// A conversation is filed by its opening customer message, which
	// states the topic; later ones are often "any news?".
	if first != nil && !history {
		in.Message = first[id]
	} else if !history {
		first, err := tx.FirstInbound([]string{id})
		if err != nil {
			return ClassifyInput{}, false, fmt.Errorf("first message of conversation %q: %w", id, err)
		}
		in.Message = first[id]
	} else {
		if in.History, err = tx.ListMessages(id); err != nil {
			return ClassifyInput{}, false, fmt.Errorf("messages of conversation %q: %w", id, err)
		}
		for _, m := range in.History {
			if m.Direction == DirectionIn {
				in.Message = m
				break
			}
		}
	}
	return in, in.Message.ID != "", nil
}

// decide runs the classifier and checks its decision against the
// folders; a failure becomes a decision that records it.
func (e *Engine) decide(ctx context.Context, c Classifier, in ClassifyInput) (Decision, error) {
	d, cerr := c.Classify(ctx, in)
	now := e.clock.Now()
	if cerr != nil {
		d = Decision{Error: cerr.Error(), At: now}
	}
	if d.At.IsZero() {
		d.At = now
	}
	if d.FolderID != "" && !slices.ContainsFunc(in.Folders, func(f Folder) bool { return f.ID == d.FolderID }) {
		d = Decision{Error: fmt.Sprintf("classifier %q chose unknown folder %q", d.By, d.FolderID), By: d.By, At: now}
	}
	if d.Status != "" && !d.Status.Valid() {
		d = Decision{Error: fmt.Sprintf("classifier %q chose unknown status %q", d.By, d.Status), By: d.By, At: now}
	}
	return d, cerr
}

// applyClassification writes decision d on conversation id in tx unless
// an agent filed it meanwhile or nothing an agent sees would change; it
// reports whether the filing changed.
func (e *Engine) applyClassification(tx storeTx, tenant Tenant, id string, d Decision) (bool, error) {
	conv, err := tx.GetConversation(id)
	if err != nil {
		return false, err
	}
	if conv.Classification.By == DecidedByManual {
		return false, nil // an agent filed it while we were thinking
	}
	before := conv
	applyDecision(&conv, d)
	if sameFiling(before, conv) {
		// Nothing an agent sees changes: no write, no version bump,
		// no audit entry (re-filing an idle inbox costs nothing).
		return false, nil
	}
	now := e.clock.Now()
	conv.UpdatedAt = now
	if err := tx.UpdateConversation(&conv); err != nil {
		return false, err
	}
	changed := conv.FolderID != before.FolderID || conv.Status != before.Status || conv.Intent != before.Intent ||
		conv.Urgency != before.Urgency || conv.Priority != before.Priority || conv.Assignee != before.Assignee || !slices.Equal(conv.Tags, before.Tags)
	return changed, tx.AppendAudit(classifiedAudit(tenant.ID, id, before.Classification, d, now))
}

// classifiedAudit is the audit entry of a classifier's decision d on
// conversation id, which was classified as before.
func classifiedAudit(tenant TenantID, id string, before, d Decision, at time.Time) AuditEntry {
	actor := "classifier"
	if d.By != "" {
		actor += ":" + d.By
	}
	return AuditEntry{
		TenantID: tenant, Actor: actor, Action: "conversation.classified", EntityType: "conversation",
		EntityID: id, ConversationID: id, Before: mustJSON(before), After: mustJSON(d), At: at,
	}
}

// classifiedSince reports whether c was classified without error after
// the folders (and their rules) last changed.
func classifiedSince(c Conversation, folders []Folder) bool {
	d := c.Classification
	if d.At.IsZero() || d.Error != "" {
		return false
	}
	for _, f := range folders {
		if f.UpdatedAt.After(d.At) || f.CreatedAt.After(d.At) {
			return false
		}
	}
	return true
}

// sameFiling reports whether a classification left a conversation as it
// was: same filing and the same decision, its time and wording aside.
func sameFiling(a, b Conversation) bool {
	da, db := a.Classification, b.Classification
	return a.FolderID == b.FolderID && a.Status == b.Status && a.Intent == b.Intent && a.Urgency == b.Urgency && a.Priority == b.Priority &&
		a.Assignee == b.Assignee && slices.Equal(a.Tags, b.Tags) &&
		da.By == db.By && da.FolderID == db.FolderID && da.Status == db.Status && (da.Error == "") == (db.Error == "") && da.Pending == db.Pending &&
		da.At.IsZero() == db.At.IsZero() // the first decision is recorded, even an abstention
}

// decidedPriority is the queue priority a decision asks for: urgent for
// an urgent status or intent, else what its urgency maps to ("" when it
// has none).
func decidedPriority(d Decision) Priority {
	switch {
	case d.Status == StatusUrgent, d.Intent == IntentUrgent:
		return PriorityUrgent
	case d.Urgency != "":
		return PriorityOf(d.Urgency)
	}
	return ""
}

// raisePriority sets a classifier's priority when it is more pressing
// than the conversation's: classifiers raise priority, only agents lower
// it.
func raisePriority(c *Conversation, p Priority) {
	if p == "" {
		return
	}
	if c.Priority == "" || p.Level() < c.Priority.Level() {
		c.Priority = p
	}
}

// applyDecision files a conversation; it only raises a status (new →
// urgent or spam), never closes one.
func applyDecision(c *Conversation, d Decision) {
	c.Classification = d
	if d.Error != "" {
		return
	}
	if d.FolderID != "" {
		c.FolderID = d.FolderID
	}
	if d.Status != "" && (c.Status == StatusNew || c.Status == StatusOpen) {
		c.Status = d.Status
	}
	if d.Intent != "" {
		c.Intent = d.Intent
	}
	if d.Urgency != "" {
		c.Urgency = d.Urgency
	}
	raisePriority(c, decidedPriority(d))
	if d.Assignee != "" && c.Assignee == "" {
		c.Assignee = d.Assignee
	}
	for _, t := range d.Tags {
		if !slices.Contains(c.Tags, t) {
			c.Tags = append(c.Tags, t)
		}
	}
}
