package inbox

import (
	"context"
	"fmt"
	"time"
)

// Merge moves every message of conversation sourceID into targetID, to
// repair a thread that was wrongly split. The source conversation is kept,
// archived and marked with ExternalRefs["merged_into"], so its notes and
// tasks stay reachable and links to it still resolve.
func (e *Engine) Merge(ctx context.Context, tenant TenantID, targetID, sourceID string, ch Change) (Conversation, error) {
	if targetID == sourceID {
		return Conversation{}, fmt.Errorf("merge: %w", Invalid("source", "is the target conversation"))
	}
	return e.mutate(ctx, tenant, targetID, ch, "conversation.merge", func(tx storeTx, target *Conversation) (any, error) {
		src, err := tx.GetConversation(sourceID)
		if err != nil {
			return nil, fmt.Errorf("source conversation %q: %w", sourceID, err)
		}
		if src.Source != target.Source {
			return nil, Invalid("source", fmt.Sprintf("is a %s conversation, the target is %s", src.Source, target.Source))
		}
		msgs, err := tx.ListMessages(sourceID)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if err := tx.MoveMessage(m.ID, targetID); err != nil {
				return nil, fmt.Errorf("move message %s: %w", m.ID, err)
			}
		}
		now := e.clock.Now()
		srcBefore := auditView(src)
		src.Status = StatusArchived
		if src.ExternalRefs == nil {
			src.ExternalRefs = map[string]string{}
		}
		src.ExternalRefs["merged_into"] = targetID
		if err := e.recount(tx, &src); err != nil {
			return nil, err
		}
		src.UpdatedAt = now
		markChanged(&src)
		if err := tx.UpdateConversation(&src); err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ch.Actor, Action: "conversation.merged_away", EntityType: "conversation",
			EntityID: sourceID, ConversationID: sourceID, Before: mustJSON(srcBefore), After: mustJSON(map[string]string{"merged_into": targetID}), At: now}); err != nil {
			return nil, err
		}
		if err := e.recount(tx, target); err != nil {
			return nil, err
		}
		return map[string]any{"merged_from": sourceID, "messages": len(msgs)}, nil
	})
}

// Split moves one message out of its conversation into a new one (same
// contact and channel), to repair a wrong merge. Later replies to that
// message follow it, since its thread keys move with it.
func (e *Engine) Split(ctx context.Context, tenant TenantID, messageID string, ch Change) (Conversation, error) {
	var msg Message
	if err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		var err error
		msg, err = tx.GetMessage(messageID)
		return err
	}); err != nil {
		return Conversation{}, fmt.Errorf("split message %q: %w", messageID, err)
	}
	var created Conversation
	_, err := e.mutate(ctx, tenant, msg.ConversationID, ch, "conversation.split", func(tx storeTx, c *Conversation) (any, error) {
		if c.MessageCount <= 1 {
			return nil, Invalid("message", "is the only message of its conversation")
		}
		now := e.clock.Now()
		created = Conversation{
			TenantID: tenant, Source: c.Source, IntegrationID: c.IntegrationID, ContactID: c.ContactID,
			Status: StatusOpen, Subject: msg.Subject, ThreadSubject: NormalizeSubject(msg.Subject),
			Automated: msg.Automated, CreatedAt: now, UpdatedAt: now,
			ExternalRefs: map[string]string{"split_from": c.ID},
		}
		if c.Source != SourceEmail {
			created.ThreadSubject = ""
		}
		if err := tx.CreateConversation(&created); err != nil {
			return nil, err
		}
		if err := tx.MoveMessage(messageID, created.ID); err != nil {
			return nil, err
		}
		if err := e.recount(tx, &created); err != nil {
			return nil, err
		}
		markChanged(&created)
		if err := tx.UpdateConversation(&created); err != nil {
			return nil, err
		}
		if err := tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ch.Actor, Action: "conversation.split_into", EntityType: "conversation",
			EntityID: created.ID, ConversationID: created.ID, After: mustJSON(map[string]string{"split_from": c.ID, "message_id": messageID}), At: now}); err != nil {
			return nil, err
		}
		if err := e.recount(tx, c); err != nil {
			return nil, err
		}
		return map[string]any{"message_id": messageID, "new_conversation": created.ID}, nil
	})
	if err != nil {
		return Conversation{}, err
	}
	e.bus.publish(Event{Type: EventConversationCreated, TenantID: tenant, ConversationID: created.ID, Detail: "split", At: created.CreatedAt})
	return created, nil
}

// recount derives a conversation's counters from its messages.
func (e *Engine) recount(tx storeTx, c *Conversation) error {
	msgs, err := tx.ListMessages(c.ID)
	if err != nil {
		return err
	}
	c.MessageCount, c.Unread = len(msgs), 0
	c.LastMessageAt, c.LastInboundAt, c.LastHumanReplyAt, c.LastAutoReplyAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	for _, m := range msgs {
		if m.SentAt.After(c.LastMessageAt) {
			c.LastMessageAt = m.SentAt
		}
		switch {
		case m.Direction == DirectionIn:
			if !m.Read {
				c.Unread++
			}
			if m.SentAt.After(c.LastInboundAt) {
				c.LastInboundAt = m.SentAt
			}
		case m.Author == AuthorAutoReply:
			if m.SentAt.After(c.LastAutoReplyAt) {
				c.LastAutoReplyAt = m.SentAt
			}
		default:
			if m.SentAt.After(c.LastHumanReplyAt) {
				c.LastHumanReplyAt = m.SentAt
			}
		}
	}
	if c.LastMessageAt.IsZero() {
		c.LastMessageAt = c.CreatedAt
	}
	return nil
}
