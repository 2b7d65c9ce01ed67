package memstore

import (
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
)

// readMarkKey identifies one agent's mark on one conversation.
type readMarkKey struct{ agent, conversation string }

// SetReadMark records agent's own read state of a conversation.
func (t *tx) SetReadMark(conversationID, agent string, unread bool) error {
	if err := t.write("set read mark"); err != nil {
		return err
	}
	if agent == "" {
		return fmt.Errorf("memstore: set read mark: %w", inbox.Invalid("agent", "is required"))
	}
	if _, ok := t.state.conversations[conversationID]; !ok {
		return notFound("conversation", conversationID)
	}
	put(&t.undo, t.state.readMarks, readMarkKey{agent, conversationID}, unread)
	addTo(&t.undo, t.state.convMarks, conversationID, agent)
	return nil
}

// ClearReadMarks removes every agent's mark on these conversations.
func (t *tx) ClearReadMarks(conversationIDs []string) error {
	if err := t.write("clear read marks"); err != nil {
		return err
	}
	for _, id := range conversationIDs {
		t.clearReadMarks(id)
	}
	return nil
}

// clearReadMarks drops the marks of one conversation.
func (t *tx) clearReadMarks(id string) {
	agents, ok := t.state.convMarks[id]
	if !ok {
		return
	}
	for agent := range agents {
		del(&t.undo, t.state.readMarks, readMarkKey{agent, id})
	}
	del(&t.undo, t.state.convMarks, id)
}

// ReadMarks returns agent's marks on these conversations.
func (t *tx) ReadMarks(agent string, conversationIDs []string) (map[string]bool, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, id := range conversationIDs {
		if unread, ok := t.state.readMarks[readMarkKey{agent, id}]; ok {
			out[id] = unread
		}
	}
	return out, nil
}

// unreadFor reports whether c is unread for agent (inbox.ReadState).
func (t *tx) unreadFor(c *conversation, agent string) bool {
	if unread, ok := t.state.readMarks[readMarkKey{agent, c.ID}]; ok {
		return unread
	}
	return c.Unread > 0
}

// ReaderUnreadCounts counts, per folder, the conversations unread for
// agent that are neither spam nor archived.
func (t *tx) ReaderUnreadCounts(agent string) (map[string]int, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, c := range t.state.conversations {
		if c.Status != inbox.StatusSpam && c.Status != inbox.StatusArchived && t.unreadFor(c, agent) {
			counts[c.FolderID]++
		}
	}
	return counts, nil
}
