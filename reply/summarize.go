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
	if st.tenant, err = eng.Tenant(ctx, tenant); err != nil {
		return st, err
	}
	if st.conv, err = eng.Conversation(ctx, tenant, convID); err != nil {
		return st, err
	}
	if st.contact, err = eng.ContactRecord(ctx, tenant, st.conv.ContactID); err != nil && !errors.Is(err, inbox.ErrNotFound) {
		return st, err
	}
	if st.msgs, err = eng.Messages(ctx, tenant, convID); err != nil {
		return st, err
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
	after, err := json.Marshal(map[string]any{"messages": sum.Messages, "intent": sum.Intent, "urgency": sum.Urgency})
	if err != nil {
		return Summary{}, err
	}
	var before json.RawMessage
	if st.conv.Summary != "" {
		prev := ParseSummary(st.conv.Summary)
		if before, err = json.Marshal(map[string]any{"messages": prev.Messages, "intent": prev.Intent, "urgency": prev.Urgency}); err != nil {
			return Summary{}, err
		}
	}
	if err := eng.SaveSummary(ctx, st.tenant.ID, st.conv.ID, sum.String(), summarizerActor, before, after); err != nil {
		return Summary{}, err
	}
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
