package reply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/inboxkit/inboxkit/inbox"
)

// conversationState is what a summary is written from.
type conversationState struct {
	tenant  inbox.Tenant
	conv    inbox.Conversation
	contact inbox.Contact
	msgs    []inbox.Message
}

func loadConversation(ctx context.Context, eng *inbox.Engine, tenant inbox.TenantID, convID string) (conversationState, error) {
	var st conversationState
	var err error
	if st.tenant, err = eng.Store().GetTenant(ctx, tenant); err != nil {
		return st, fmt.Errorf("tenant %q: %w", tenant, err)
	}
	err = eng.Store().View(ctx, tenant, func(tx inbox.Tx) error {
		var err error
		if st.conv, err = tx.GetConversation(convID); err != nil {
			return err
		}
		if st.contact, err = tx.GetContact(st.conv.ContactID); err != nil && !errors.Is(err, inbox.ErrNotFound) {
			return err
		}
		st.msgs, err = tx.ListMessages(convID)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("conversation %q: %w", convID, err)
	}
	return st, nil
}

// Refresh summarizes a conversation now and stores the summary in
// Conversation.Summary (audited, with a conversation.updated event whose
// Detail is "summary").
func (s *Summarizer) Refresh(ctx context.Context, eng *inbox.Engine, tenant inbox.TenantID, convID string) (Summary, error) {
	st, err := loadConversation(ctx, eng, tenant, convID)
	if err != nil {
		return Summary{}, fmt.Errorf("summarize: %w", err)
	}
	return s.refresh(ctx, eng, st)
}

// SummarizeIfNeeded summarizes a conversation when it has at least
// MinMessages messages and its stored summary is missing or RefreshAfter
// messages behind. Hosts call it after ingest (or use Watch). It reports
// whether a summary was written.
func (s *Summarizer) SummarizeIfNeeded(ctx context.Context, eng *inbox.Engine, tenant inbox.TenantID, convID string) (Summary, bool, error) {
	st, err := loadConversation(ctx, eng, tenant, convID)
	if err != nil {
		return Summary{}, false, fmt.Errorf("summarize: %w", err)
	}
	cur := ParseSummary(st.conv.Summary)
	if !s.due(cur, st) {
		return cur, false, nil
	}
	sum, err := s.refresh(ctx, eng, st)
	return sum, err == nil, err
}

// due decides whether a conversation needs a (new) summary.
func (s *Summarizer) due(cur Summary, st conversationState) bool {
	n := len(st.msgs)
	switch {
	case n < s.opts.MinMessages:
		return false
	case st.conv.Summary != "" && cur.Messages == 0:
		return false // written by a person: never overwritten automatically
	}
	return cur.Messages == 0 || n-cur.Messages >= s.opts.RefreshAfter
}

func (s *Summarizer) refresh(ctx context.Context, eng *inbox.Engine, st conversationState) (Summary, error) {
	sum, err := s.Summarize(ctx, st.tenant, st.conv, st.contact, st.msgs)
	if err != nil {
		return Summary{}, err
	}
	now := eng.Clock().Now()
	err = eng.Store().Update(ctx, st.tenant.ID, func(tx inbox.Tx) error {
		c, err := tx.GetConversation(st.conv.ID)
		if err != nil {
			return err
		}
		before := c.Summary
		c.Summary, c.UpdatedAt = sum.String(), now
		if err := tx.UpdateConversation(&c); err != nil {
			return err
		}
		after, err := json.Marshal(map[string]any{"messages": sum.Messages, "intent": sum.Intent, "urgency": sum.Urgency})
		if err != nil {
			return err
		}
		var beforeRaw json.RawMessage
		if before != "" {
			prev := ParseSummary(before)
			if beforeRaw, err = json.Marshal(map[string]any{"messages": prev.Messages, "intent": prev.Intent, "urgency": prev.Urgency}); err != nil {
				return err
			}
		}
		return tx.AppendAudit(inbox.AuditEntry{TenantID: st.tenant.ID, Actor: summarizerActor, Action: "conversation.summary",
			EntityType: "conversation", EntityID: c.ID, ConversationID: c.ID, Before: beforeRaw, After: after, At: now})
	})
	if err != nil {
		return Summary{}, fmt.Errorf("store summary of conversation %q: %w", st.conv.ID, err)
	}
	eng.Publish(inbox.Event{Type: inbox.EventConversationUpdated, TenantID: st.tenant.ID, ConversationID: st.conv.ID, Detail: "summary", At: now})
	return sum, nil
}

// Watch keeps summaries current: after every new message (received or
// sent) it calls SummarizeIfNeeded for its conversation, on the
// subscription's own goroutine, so ingest never waits for the model. It
// stops when ctx ends or stop is called.
func (s *Summarizer) Watch(ctx context.Context, eng *inbox.Engine) (stop func()) {
	cancel := eng.Subscribe(func(ev inbox.Event) {
		if ev.Type != inbox.EventMessageReceived && ev.Type != inbox.EventMessageCreated || ev.ConversationID == "" || ctx.Err() != nil {
			return
		}
		if _, _, err := s.SummarizeIfNeeded(ctx, eng, ev.TenantID, ev.ConversationID); err != nil && ctx.Err() == nil {
			s.log.Warn("reply: automatic summary", "tenant", string(ev.TenantID), "conversation", ev.ConversationID, "err", err)
		}
	})
	done := make(chan struct{})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			cancel()
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-done:
		}
	}()
	return stop
}
