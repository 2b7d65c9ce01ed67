package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// WorkWake is the work item that brings a snoozed conversation back
// when its time comes (Key: the conversation id, NotBefore: the time).
const WorkWake = "wake"

// MaxSnooze is how far ahead a conversation may be snoozed.
const MaxSnooze = 366 * 24 * time.Hour

// SetPriority sets a conversation's queue priority ("" is normal).
// Classifiers only ever raise it; an agent may set any.
func (e *Engine) SetPriority(ctx context.Context, tenant TenantID, convID string, p Priority, ch Change) (Conversation, error) {
	if !p.Valid() {
		return Conversation{}, fmt.Errorf("set priority: %w", Invalid("priority", fmt.Sprintf("%s is not one of urgent, high, normal, low", clip(string(p)))))
	}
	if p == "" {
		p = PriorityNormal
	}
	return e.mutate(ctx, tenant, convID, ch, "conversation.priority", func(tx storeTx, c *Conversation) (any, error) {
		before := c.Priority
		c.Priority = p
		return map[string]any{"priority": p, "previous_priority": before}, nil
	})
}

// Snooze hides an open conversation from open work until until; then the
// engine's background work brings it back (EventConversationUpdated with
// Detail "snooze.woke" and a notification to its assignee, or to the
// agent who snoozed it). A zero until wakes it now. A new customer
// message wakes it too. The wake-up is durable work, so it survives a
// restart.
func (e *Engine) Snooze(ctx context.Context, tenant TenantID, convID string, until time.Time, ch Change) (Conversation, error) {
	now := e.clock.Now()
	if !until.IsZero() {
		switch {
		case !until.After(now):
			return Conversation{}, fmt.Errorf("snooze: %w", Invalid("until", "is not in the future"))
		case until.Sub(now) > MaxSnooze:
			return Conversation{}, fmt.Errorf("snooze: %w", Invalid("until", "is more than a year ahead"))
		}
		until = until.UTC()
	}
	return e.mutate(ctx, tenant, convID, ch, "conversation.snooze", func(tx storeTx, c *Conversation) (any, error) {
		if !until.IsZero() && c.Status != StatusNew && c.Status != StatusOpen && c.Status != StatusUrgent {
			return nil, Invalid("status", fmt.Sprintf("a %s conversation cannot be snoozed, only open work can", c.Status))
		}
		c.SnoozedUntil = until
		if !until.IsZero() {
			w := WorkItem{TenantID: tenant, Kind: WorkWake, Key: convID, Payload: ch.Actor, NotBefore: until, CreatedAt: now, UpdatedAt: now}
			if err := tx.PutWork(&w); err != nil {
				return nil, err
			}
		}
		return map[string]any{"snoozed_until": until}, nil
	})
}

// runWake is the WorkWake handler: a snoozed conversation whose time has
// come is open work again.
func (e *Engine) runWake(ctx context.Context, tenant Tenant, w WorkItem, finish func(tx storeTx) error) error {
	now := e.clock.Now()
	var woke Conversation
	err := e.updateTx(ctx, tenant.ID, func(tx storeTx) error {
		c, err := tx.GetConversation(w.Key)
		if errors.Is(err, ErrNotFound) {
			return finish(tx)
		}
		if err != nil {
			return err
		}
		if c.SnoozedUntil.IsZero() {
			return finish(tx) // woken early (a message, an agent)
		}
		if c.SnoozedUntil.After(now) {
			return errNotYet
		}
		before := c
		c.SnoozedUntil = time.Time{}
		c.UpdatedAt = now
		markChanged(&c)
		if err := tx.UpdateConversation(&c); err != nil {
			return err
		}
		woke = c
		if err := tx.AppendAudit(AuditEntry{
			TenantID: tenant.ID, Actor: "snooze", Action: "conversation.woke", EntityType: "conversation", EntityID: c.ID,
			ConversationID: c.ID, Before: mustJSON(map[string]any{"snoozed_until": before.SnoozedUntil}),
			After: mustJSON(map[string]any{"snoozed_until": nil}), At: now,
		}); err != nil {
			return err
		}
		return finish(tx)
	})
	if err != nil || woke.ID == "" {
		return err
	}
	e.bus.publish(Event{Type: EventConversationUpdated, TenantID: tenant.ID, ConversationID: woke.ID, Detail: "snooze.woke", At: now})
	user := woke.Assignee
	if user == "" {
		user = w.Payload
	}
	if user != "" {
		e.notify(ctx, tenant.ID, user, "snooze", woke.ID, "Snoozed conversation is back: “"+e.titleOf(ctx, tenant.ID, woke)+"”")
	}
	return nil
}

// titleOf names a conversation in a notification: its subject or, for
// a conversation without one (SMS, WhatsApp), the first words of its
// latest customer message.
func (e *Engine) titleOf(ctx context.Context, tenant TenantID, c Conversation) string {
	if strings.TrimSpace(c.Subject) != "" {
		return conversationTitle(c, "")
	}
	var text string
	_ = e.viewTx(ctx, tenant, func(tx storeTx) error {
		msgs, err := tx.ListMessages(c.ID)
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].Direction == DirectionIn && strings.TrimSpace(msgs[i].Text) != "" {
				text = msgs[i].Text
				break
			}
		}
		return err
	})
	return conversationTitle(c, text)
}

// conversationTitle names a conversation for a person: its subject, or
// else the first words of fallback (a message or note text).
func conversationTitle(c Conversation, fallback string) string {
	if s := strings.TrimSpace(c.Subject); s != "" {
		return excerpt(s, 80)
	}
	if s := strings.TrimSpace(fallback); s != "" {
		return excerpt(s, 60)
	}
	return "a conversation"
}

// excerpt returns the first words of s within max bytes, spaces folded,
// with "…" when cut.
func excerpt(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > max/2 {
		cut = sp
	}
	return strings.TrimRight(s[:cut], " ,;:.") + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Next returns the first open conversation of a view (q, with OpenWork
// set) other than skip — the one an agent just handled — so resolving
// moves straight to the next piece of work. ErrNotFound when the view
// holds no other open work.
func (e *Engine) Next(ctx context.Context, tenant TenantID, q ConversationQuery, skip string) (Conversation, error) {
	q.OpenWork, q.Limit, q.Cursor, q.WithTotal = true, 2, "", false
	page, err := e.Conversations(ctx, tenant, q)
	if err != nil {
		return Conversation{}, fmt.Errorf("next conversation: %w", err)
	}
	for _, c := range page.Items {
		if c.ID != skip {
			return c, nil
		}
	}
	return Conversation{}, fmt.Errorf("next conversation: no other open work in this view: %w", ErrNotFound)
}

// MaxBulk is how many conversations one bulk action may change.
const MaxBulk = 200

// BulkAction names what Bulk does to each conversation.
type BulkAction string

// Bulk actions.
const (
	BulkResolve  BulkAction = "resolve"  // SetStatus resolved
	BulkStatus   BulkAction = "status"   // SetStatus BulkRequest.Status
	BulkAssign   BulkAction = "assign"   // Assign BulkRequest.Assignee ("" unassigns)
	BulkMove     BulkAction = "move"     // Move to BulkRequest.FolderID ("" unfiles)
	BulkSnooze   BulkAction = "snooze"   // Snooze until BulkRequest.Until
	BulkPriority BulkAction = "priority" // SetPriority BulkRequest.Priority
	BulkRead     BulkAction = "read"     // MarkRead
	BulkUnread   BulkAction = "unread"   // MarkRead(false)
)

// BulkRequest is one action applied to many conversations.
type BulkRequest struct {
	Action          BulkAction
	ConversationIDs []string
	Status          Status
	Assignee        string
	FolderID        string
	Until           time.Time
	Priority        Priority
	// Reader, with read and unread, sets that agent's own read state
	// (MarkReadFor) instead of the team's (MarkRead).
	Reader string
}

// BulkItem is the outcome for one conversation: the conversation after
// the action, or why it was not changed.
type BulkItem struct {
	ConversationID string
	Conversation   Conversation
	Err            error
}

// Bulk applies one action to up to MaxBulk conversations. Each is changed
// (and audited) on its own, as if the agent had acted on it alone, so one
// refusal (a conversation deleted meanwhile, a transition that makes no
// sense) leaves the others done; the result says, per id, which. The
// request itself is checked first: an unknown action, too many or
// repeated ids fail as a whole with ErrInvalid.
func (e *Engine) Bulk(ctx context.Context, tenant TenantID, req BulkRequest, ch Change) ([]BulkItem, error) {
	fail := func(field, why string) ([]BulkItem, error) {
		return nil, fmt.Errorf("bulk: %w", Invalid(field, why))
	}
	switch n := len(req.ConversationIDs); {
	case n == 0:
		return fail("conversation_ids", "is empty")
	case n > MaxBulk:
		return fail("conversation_ids", fmt.Sprintf("has %d conversations, at most %d can be changed at once", n, MaxBulk))
	}
	seen := make(map[string]bool, len(req.ConversationIDs))
	for i, id := range req.ConversationIDs {
		if strings.TrimSpace(id) == "" {
			return fail(fmt.Sprintf("conversation_ids[%d]", i), "is empty")
		}
		if seen[id] {
			return fail(fmt.Sprintf("conversation_ids[%d]", i), fmt.Sprintf("repeats %s", clip(id)))
		}
		seen[id] = true
	}
	var one func(id string) (Conversation, error)
	switch req.Action {
	case BulkResolve:
		one = func(id string) (Conversation, error) { return e.SetStatus(ctx, tenant, id, StatusResolved, ch) }
	case BulkStatus:
		if !req.Status.Valid() {
			return fail("status", fmt.Sprintf("%s is not one of new, open, urgent, resolved, archived, spam", clip(string(req.Status))))
		}
		one = func(id string) (Conversation, error) { return e.SetStatus(ctx, tenant, id, req.Status, ch) }
	case BulkAssign:
		if req.Assignee != "" {
			if err := e.checkEmployee(ctx, tenant, "assignee", req.Assignee); err != nil {
				return nil, fmt.Errorf("bulk: %w", err)
			}
		}
		one = func(id string) (Conversation, error) { return e.Assign(ctx, tenant, id, req.Assignee, ch) }
	case BulkMove:
		one = func(id string) (Conversation, error) { return e.Move(ctx, tenant, id, req.FolderID, ch) }
	case BulkSnooze:
		if req.Until.IsZero() {
			return fail("until", "is required to snooze")
		}
		one = func(id string) (Conversation, error) { return e.Snooze(ctx, tenant, id, req.Until, ch) }
	case BulkPriority:
		if !req.Priority.Valid() {
			return fail("priority", fmt.Sprintf("%s is not one of urgent, high, normal, low", clip(string(req.Priority))))
		}
		one = func(id string) (Conversation, error) { return e.SetPriority(ctx, tenant, id, req.Priority, ch) }
	case BulkRead, BulkUnread:
		one = func(id string) (Conversation, error) { return e.MarkRead(ctx, tenant, id, req.Action == BulkRead, ch) }
		if req.Reader != "" {
			if err := checkReader(req.Reader); err != nil {
				return nil, fmt.Errorf("bulk: %w", err)
			}
			one = func(id string) (Conversation, error) {
				return e.MarkReadFor(ctx, tenant, id, req.Reader, req.Action == BulkRead)
			}
		}
	default:
		return fail("action", fmt.Sprintf("%s is not one of resolve, status, assign, move, snooze, priority, read, unread", clip(string(req.Action))))
	}
	if strings.TrimSpace(ch.Actor) == "" {
		return fail("actor", "is required")
	}
	// A version applies to one conversation, never to a batch.
	ch.Version = 0
	out := make([]BulkItem, len(req.ConversationIDs))
	for i, id := range req.ConversationIDs {
		c, err := one(id)
		out[i] = BulkItem{ConversationID: id, Conversation: c, Err: err}
	}
	return out, nil
}
