-- Agents' own read state (inbox.Tx.SetReadMark): a row per agent and
-- conversation they marked, unread (1) or read (0) for them alone. The
-- primary key answers one agent's marks; the second index clears a
-- conversation's marks when its customer writes again.
CREATE TABLE read_marks (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	agent_id TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	unread INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, agent_id, conversation_id)
) WITHOUT ROWID;
CREATE INDEX read_marks_by_conversation ON read_marks (tenant_id, conversation_id);
