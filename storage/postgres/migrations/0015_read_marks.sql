-- Agents' own read state (inbox.Tx.SetReadMark): a row per agent and
-- conversation they marked, unread or read for them alone. The primary
-- key answers one agent's marks; the second index clears a
-- conversation's marks when its customer writes again.
CREATE TABLE read_marks (
	tenant_id text NOT NULL REFERENCES tenants (id),
	agent_id text NOT NULL,
	conversation_id text NOT NULL,
	unread boolean NOT NULL,
	PRIMARY KEY (tenant_id, agent_id, conversation_id)
);
CREATE INDEX read_marks_by_conversation ON read_marks (tenant_id, conversation_id);
