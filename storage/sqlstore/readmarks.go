package sqlstore

import (
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
)

// readerUnread selects cols of the conversations u unread for one agent
// (inbox.ReadState) that are neither spam nor archived: those the team
// has not read (the conversations_unread index) and the agent has not
// marked read, and those the agent marked unread. Its arguments are
// readerUnreadArgs.
func readerUnread(cols string) string {
	return `SELECT ` + cols + ` FROM conversations u WHERE u.tenant_id = ? AND u.unread > 0 AND u.status NOT IN ('spam', 'archived')
		AND NOT EXISTS (SELECT 1 FROM read_marks r WHERE r.tenant_id = u.tenant_id AND r.agent_id = ? AND r.unread = ? AND r.conversation_id = u.id)
	UNION ALL
	SELECT ` + cols + ` FROM read_marks r JOIN conversations u ON u.tenant_id = r.tenant_id AND u.id = r.conversation_id
		WHERE r.tenant_id = ? AND r.agent_id = ? AND r.unread = ? AND u.unread = 0 AND u.status NOT IN ('spam', 'archived')`
}

func (t *tx) readerUnreadArgs(agent string) []any {
	return []any{string(t.tenant), agent, false, string(t.tenant), agent, true}
}

// SetReadMark records agent's own read state of a conversation.
func (t *tx) SetReadMark(conversationID, agent string, unread bool) error {
	if err := t.usable(true); err != nil {
		return err
	}
	if agent == "" {
		return fmt.Errorf("set read mark: %w", inbox.Invalid("agent", "is required"))
	}
	if err := t.requireConversation("set read mark", conversationID); err != nil {
		return err
	}
	_, err := t.exec("set read mark", `INSERT INTO read_marks (tenant_id, agent_id, conversation_id, unread) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id, agent_id, conversation_id) DO UPDATE SET unread = excluded.unread`,
		string(t.tenant), agent, conversationID, unread)
	return err
}

// ClearReadMarks removes every agent's mark on these conversations.
func (t *tx) ClearReadMarks(conversationIDs []string) error {
	if err := t.usable(true); err != nil {
		return err
	}
	for start := 0; start < len(conversationIDs); start += keyChunk {
		ids := conversationIDs[start:min(start+keyChunk, len(conversationIDs))]
		if _, err := t.exec("clear read marks", `DELETE FROM read_marks WHERE tenant_id = ? AND conversation_id IN (`+placeholders(len(ids))+`)`,
			append([]any{string(t.tenant)}, anys(ids)...)...); err != nil {
			return err
		}
	}
	return nil
}

// ReadMarks returns agent's marks on these conversations.
func (t *tx) ReadMarks(agent string, conversationIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(conversationIDs); start += keyChunk {
		ids := conversationIDs[start:min(start+keyChunk, len(conversationIDs))]
		rows, err := t.query("read marks", `SELECT conversation_id, unread FROM read_marks WHERE tenant_id = ? AND agent_id = ? AND conversation_id IN (`+placeholders(len(ids))+`)`,
			append([]any{string(t.tenant), agent}, anys(ids)...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var unread bool // SQLite's 0 and 1 scan as false and true
			if err := rows.Scan(&id, &unread); err != nil {
				rows.Close()
				return nil, t.s.wrap("read marks", err)
			}
			out[id] = unread
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, t.s.wrap("read marks", err)
		}
	}
	return out, nil
}

// ReaderUnreadCounts counts, per folder ("" unfiled), the conversations
// unread for agent that are neither spam nor archived.
func (t *tx) ReaderUnreadCounts(agent string) (map[string]int, error) {
	return t.countsByFolder("unread counts for agent", `SELECT x.folder_id, COUNT(*) FROM (`+readerUnread("u.folder_id")+`) x GROUP BY x.folder_id`,
		t.readerUnreadArgs(agent)...)
}
