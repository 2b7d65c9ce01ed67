package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// classifyConversations files freshly ingested conversations. Failures
// are recorded on the conversation and logged; the messages are already
// safe in the store.
func (e *Engine) classifyConversations(ctx context.Context, tenant Tenant, ids []string, c Classifier) {
	slices.Sort(ids)
	var events []Event
	for _, id := range ids {
		_, changed, err := e.classifyOne(ctx, tenant, id, true, c)
		if err != nil {
			e.log.Warn("inbox: classification failed", "tenant", string(tenant.ID), "conversation", id, "err", err)
		}
		if changed {
			events = append(events, Event{Type: EventConversationUpdated, TenantID: tenant.ID, ConversationID: id, Detail: "classified", At: e.clock.Now()})
		}
	}
	e.bus.publish(events...)
}

func (e *Engine) classifyOne(ctx context.Context, tenant Tenant, id string, onlyUnfiled bool, c Classifier) (Decision, bool, error) {
	var (
		in   ClassifyInput
		skip bool
	)
	history := needsHistory(c)
	err := e.store.View(ctx, tenant.ID, func(tx Tx) error {
		conv, err := tx.GetConversation(id)
		if err != nil {
			return fmt.Errorf("conversation %q: %w", id, err)
		}
		if conv.Classification.By == DecidedByManual || (onlyUnfiled && conv.FolderID != "") {
			skip = true
			return nil
		}
		folders, err := tx.ListFolders()
		if err != nil {
			return fmt.Errorf("folders: %w", err)
		}
		if onlyUnfiled && !history && classifiedSince(conv, folders) {
			// A classifier that reads only the opening message answers as
			// before until the folders change: a new message of an
			// unfiled conversation costs nothing, however long it is.
			skip = true
			return nil
		}
		contact, err := tx.GetContact(conv.ContactID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("contact: %w", err)
		}
		in = ClassifyInput{Tenant: tenant, Conversation: conv, Contact: contact, Folders: folders}
		// A conversation is filed by its opening customer message, which
		// states the topic; later ones are often "any news?".
		if r, ok := tx.(FirstInboundReader); ok && !history {
			first, err := r.FirstInbound([]string{id})
			if err != nil {
				return fmt.Errorf("first message of conversation %q: %w", id, err)
			}
			in.Message = first[id]
			return nil
		}
		if in.History, err = tx.ListMessages(id); err != nil {
			return fmt.Errorf("messages of conversation %q: %w", id, err)
		}
		for _, m := range in.History {
			if m.Direction == DirectionIn {
				in.Message = m
				break
			}
		}
		return nil
	})
	if err != nil {
		return Decision{}, false, fmt.Errorf("classify: %w", err)
	}
	if skip || in.Message.ID == "" {
		return Decision{}, false, nil
	}

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

	changed := false
	err = e.store.Update(ctx, tenant.ID, func(tx Tx) error {
		conv, err := tx.GetConversation(id)
		if err != nil {
			return err
		}
		if conv.Classification.By == DecidedByManual {
			return nil // an agent filed it while we were thinking
		}
		before := conv
		applyDecision(&conv, d)
		if sameFiling(before, conv) {
			// Nothing an agent sees changes: no write, no version bump,
			// no audit entry (re-filing an idle inbox costs nothing).
			return nil
		}
		conv.UpdatedAt = now
		if err := tx.UpdateConversation(&conv); err != nil {
			return err
		}
		changed = conv.FolderID != before.FolderID || conv.Status != before.Status || conv.Intent != before.Intent ||
			conv.Urgency != before.Urgency || conv.Priority != before.Priority || conv.Assignee != before.Assignee || !slices.Equal(conv.Tags, before.Tags)
		actor := "classifier"
		if d.By != "" {
			actor += ":" + d.By
		}
		return tx.AppendAudit(AuditEntry{
			TenantID: tenant.ID, Actor: actor, Action: "conversation.classified", EntityType: "conversation",
			EntityID: id, ConversationID: id, Before: mustJSON(before.Classification), After: mustJSON(d), At: now,
		})
	})
	if err != nil {
		return Decision{}, false, fmt.Errorf("classify conversation %q: %w", id, err)
	}
	if cerr != nil {
		return d, changed, fmt.Errorf("classify conversation %q: %w", id, cerr)
	}
	return d, changed, nil
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
		da.By == db.By && da.FolderID == db.FolderID && da.Status == db.Status && (da.Error == "") == (db.Error == "") &&
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
