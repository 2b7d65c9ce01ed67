package inbox

import (
	"context"
	"fmt"
	"strings"
)

// Read state comes in two layers. Conversation.Unread is the team's: the
// customer messages nobody has answered or marked read for everyone (a
// reply, MarkRead). On top of it each agent may hold their own mark
// (MarkReadFor): read or unread for them alone, whatever Unread says. A
// new customer message clears every mark, so the conversation is unread
// again for the whole team; MarkRead, which sets the team's state, clears
// them too.

// ReadState reports whether c is unread for an agent whose marks
// (driver.Tx.ReadMarks) are marks: their own mark on c when they have one,
// otherwise the team's state, Unread > 0. Spam and archived conversations
// may be unread; counters and the Unread filter leave them out.
func ReadState(c *Conversation, marks map[string]bool) bool {
	if unread, ok := marks[c.ID]; ok {
		return unread
	}
	return c.Unread > 0
}

// MaxAgentIDBytes bounds an agent id in read marks.
const MaxAgentIDBytes = 200

// checkReader refuses an empty or over-long agent id.
func checkReader(agent string) error {
	switch {
	case strings.TrimSpace(agent) == "":
		return Invalid("agent", "is required: read marks belong to one agent")
	case len(agent) > MaxAgentIDBytes:
		return Invalid("agent", fmt.Sprintf("is longer than %d bytes", MaxAgentIDBytes))
	}
	return nil
}

// MarkReadFor marks a conversation read (read=true) or unread for one
// agent only: colleagues keep their own state, and the team's Unread
// count is unchanged. It changes neither the conversation's Version nor
// the audit log; it is the agent's own bookkeeping, announced by an
// EventReaderState for that agent's other screens. It returns the
// conversation.
func (e *Engine) MarkReadFor(ctx context.Context, tenant TenantID, convID, agent string, read bool) (Conversation, error) {
	op := "mark read for agent"
	if !read {
		op = "mark unread for agent"
	}
	if err := checkReader(agent); err != nil {
		return Conversation{}, fmt.Errorf("%s: %w", op, err)
	}
	if _, err := e.tenant(ctx, tenant); err != nil {
		return Conversation{}, fmt.Errorf("%s: %w", op, err)
	}
	var c Conversation
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		var err error
		if c, err = tx.GetConversation(convID); err != nil {
			return notFound("conversation", convID, err)
		}
		return tx.SetReadMark(convID, agent, !read)
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("%s: %w", op, err)
	}
	state := "unread"
	if read {
		state = "read"
	}
	e.bus.publish(Event{Type: EventReaderState, TenantID: tenant, ConversationID: convID, Detail: state + ":" + agent, At: e.clock.Now()})
	if read {
		e.confirm(ctx, tenant, c)
	}
	return c, nil
}

// ReaderUnreadCounts counts, per folder id ("" for unfiled), the
// conversations unread for agent (ReadState) that are neither spam nor
// archived: the badges that agent sees. UnreadCounts is the team's.
func (e *Engine) ReaderUnreadCounts(ctx context.Context, tenant TenantID, agent string) (map[string]int, error) {
	if err := checkReader(agent); err != nil {
		return nil, fmt.Errorf("count unread for agent: %w", err)
	}
	var n map[string]int
	err := e.view(ctx, "count unread for agent", tenant, func(tx storeTx) error {
		var err error
		n, err = tx.ReaderUnreadCounts(agent)
		return err
	})
	return n, err
}

// ReaderUnread reports which of convs are unread for agent (ReadState),
// as ConversationPage.ReaderUnread does for a list: a host shows one
// conversation bold or not with it.
func (e *Engine) ReaderUnread(ctx context.Context, tenant TenantID, agent string, convs ...Conversation) (map[string]bool, error) {
	if err := checkReader(agent); err != nil {
		return nil, fmt.Errorf("read state for agent: %w", err)
	}
	var out map[string]bool
	err := e.view(ctx, "read state for agent", tenant, func(tx storeTx) error {
		var err error
		out, err = readerUnread(tx, agent, convs)
		return err
	})
	return out, err
}

// readerUnread reads agent's marks on convs and applies ReadState.
func readerUnread(tx storeTx, agent string, convs []Conversation) (map[string]bool, error) {
	out := make(map[string]bool, len(convs))
	if len(convs) == 0 {
		return out, nil
	}
	ids := make([]string, len(convs))
	for i := range convs {
		ids[i] = convs[i].ID
	}
	marks, err := tx.ReadMarks(agent, ids)
	if err != nil {
		return nil, err
	}
	for i := range convs {
		if ReadState(&convs[i], marks) {
			out[convs[i].ID] = true
		}
	}
	return out, nil
}
