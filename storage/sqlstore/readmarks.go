package sqlstore

import (
	"fmt"
	"maps"

	"github.com/inboxkit/inboxkit/inbox"
)

// Each mark carries its conversation's folder and team state (the
// read_marks_follow trigger keeps them): 0 spam or archived, 1 counted and
// read for the team, 2 counted and unread for the team. An agent's read
// state is then the team's corrected by their marks, without reading
// conversations. markTeamState computes that state from conversation c,
// as the trigger does.
const markTeamState = `CASE WHEN c.status IN ('spam', 'archived') THEN 0 WHEN c.unread > 0 THEN 2 ELSE 1 END`

// readerUnreadSet selects the ids of the conversations unread for one
// agent (inbox.ReadState) that are neither spam nor archived: those the
// team has not read (the conversations_unread index) less those the agent
// marked read, and those the team has read that the agent marked unread,
// both sets of marks ranges of read_marks_state. readerUnreadRow tests
// one conversation c for the same set, for a page that walks its order's
// index. Both take readerUnreadArgs.
const (
	readerUnreadSet = `SELECT u.id FROM conversations u WHERE u.tenant_id = ? AND u.unread > 0 AND u.status NOT IN ('spam', 'archived')
		AND u.id NOT IN (SELECT r.conversation_id FROM read_marks r WHERE r.tenant_id = ? AND r.agent_id = ? AND r.unread = ? AND r.team = 2)
	UNION ALL
	SELECT r.conversation_id FROM read_marks r WHERE r.tenant_id = ? AND r.agent_id = ? AND r.unread = ? AND r.team = 1`
	readerUnreadRow = `(c.unread > 0 AND c.status NOT IN ('spam', 'archived') AND c.tenant_id = ?
		AND NOT EXISTS (SELECT 1 FROM read_marks r WHERE r.tenant_id = ? AND r.agent_id = ? AND r.unread = ? AND r.conversation_id = c.id)
	OR EXISTS (SELECT 1 FROM read_marks r WHERE r.tenant_id = ? AND r.agent_id = ? AND r.unread = ? AND r.team = 1 AND r.conversation_id = c.id))`
)

func (t *tx) readerUnreadArgs(agent string) []any {
	return []any{string(t.tenant), string(t.tenant), agent, false, string(t.tenant), agent, true}
}

// SetReadMark records agent's own read state of a conversation, with the
// conversation's folder and team state.
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
	_, err := t.exec("set read mark", `INSERT INTO read_marks (tenant_id, agent_id, conversation_id, unread, folder_id, team)
		SELECT c.tenant_id, ?, c.id, ?, c.folder_id, `+markTeamState+` FROM conversations c WHERE c.tenant_id = ? AND c.id = ?
		ON CONFLICT (tenant_id, agent_id, conversation_id) DO UPDATE SET unread = excluded.unread, folder_id = excluded.folder_id, team = excluded.team`,
		agent, unread, string(t.tenant), conversationID)
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
// unread for agent that are neither spam nor archived: the team's counts
// (UnreadCounts) less the agent's read marks on conversations unread for
// the team, plus their unread marks on conversations the team has read.
// Each part is an index range; a folder left at zero is dropped.
func (t *tx) ReaderUnreadCounts(agent string) (map[string]int, error) {
	counts, err := t.countsByFolder("unread counts for agent", `SELECT folder_id, COUNT(*) FROM conversations
		WHERE tenant_id = ? AND unread > 0 AND status NOT IN ('spam', 'archived') GROUP BY folder_id
	UNION ALL
	SELECT folder_id, -COUNT(*) FROM read_marks WHERE tenant_id = ? AND agent_id = ? AND unread = ? AND team = 2 GROUP BY folder_id
	UNION ALL
	SELECT folder_id, COUNT(*) FROM read_marks WHERE tenant_id = ? AND agent_id = ? AND unread = ? AND team = 1 GROUP BY folder_id`,
		string(t.tenant), string(t.tenant), agent, false, string(t.tenant), agent, true)
	if err != nil {
		return nil, err
	}
	maps.DeleteFunc(counts, func(_ string, n int) bool { return n == 0 })
	return counts, nil
}
