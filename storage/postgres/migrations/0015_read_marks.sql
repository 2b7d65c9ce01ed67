-- Agents' own read state (inbox.Tx.SetReadMark): a row per agent and
-- conversation they marked, unread or read for them alone. The primary
-- key leads with the state, so an agent's unread marks are one range and
-- a read mark one probe; read_marks_one keeps a single mark per agent and
-- conversation; read_marks_by_conversation clears a conversation's marks
-- when its customer writes again.
CREATE TABLE read_marks (
	tenant_id text NOT NULL REFERENCES tenants (id),
	agent_id text NOT NULL,
	unread boolean NOT NULL,
	conversation_id text NOT NULL,
	PRIMARY KEY (tenant_id, agent_id, unread, conversation_id)
);
CREATE UNIQUE INDEX read_marks_one ON read_marks (tenant_id, agent_id, conversation_id);
CREATE INDEX read_marks_by_conversation ON read_marks (tenant_id, conversation_id);

-- An agent's unread set starts from the team's (inbox.ReadState): the
-- unread index now holds the ids too, so that set is read from the index
-- alone, without the conversations' rows.
DROP INDEX conversations_unread;
CREATE INDEX conversations_unread ON conversations (tenant_id, folder_id, id)
	WHERE unread > 0 AND status NOT IN ('spam', 'archived');
