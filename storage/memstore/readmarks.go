package memstore

import (
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
)

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
	marks, ok := t.state.readMarks[agent]
	if !ok {
		marks = map[string]bool{}
		put(&t.undo, t.state.readMarks, agent, marks)
	}
	put(&t.undo, marks, conversationID, unread)
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
		marks := t.state.readMarks[agent]
		del(&t.undo, marks, id)
		if len(marks) == 0 {
			del(&t.undo, t.state.readMarks, agent)
		}
	}
	del(&t.undo, t.state.convMarks, id)
}

// ReadMarks returns agent's marks on these conversations.
func (t *tx) ReadMarks(agent string, conversationIDs []string) (map[string]bool, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	marks := t.state.readMarks[agent]
	for _, id := range conversationIDs {
		if unread, ok := marks[id]; ok {
			out[id] = unread
		}
	}
	return out, nil
}

// unreadFor reports whether the conversation r is unread for the agent
// whose marks are marks (inbox.ReadState).
func unreadFor(r convRef, marks map[string]bool) bool {
	if unread, ok := marks[r.id]; ok {
		return unread
	}
	return r.unread > 0
}

// ReaderUnreadCounts counts, per folder, the conversations unread for
// agent that are neither spam nor archived: the team's counts corrected
// by the agent's marks, so it costs UnreadCounts plus one look per mark.
func (t *tx) ReaderUnreadCounts(agent string) (map[string]int, error) {
	counts, err := t.UnreadCounts()
	if err != nil {
		return nil, err
	}
	for id, unread := range t.state.readMarks[agent] {
		c := t.state.conversations[id]
		if c == nil || c.Status == inbox.StatusSpam || c.Status == inbox.StatusArchived || unread == (c.Unread > 0) {
			continue // not counted, or the mark agrees with the team
		}
		if unread {
			counts[c.FolderID]++
		} else if counts[c.FolderID]--; counts[c.FolderID] == 0 {
			delete(counts, c.FolderID)
		}
	}
	return counts, nil
}
