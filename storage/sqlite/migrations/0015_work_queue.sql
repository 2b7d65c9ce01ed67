-- The work queue (inbox.SortQueue, ConversationQuery.OpenWork): a
-- conversation's inbox.QueueRank, kept by every write, orders open work
-- by priority before snoozed and closed conversations. Existing rows have
-- no priority or snooze yet, so their rank follows from the status.
ALTER TABLE conversations ADD COLUMN queue_rank INTEGER NOT NULL DEFAULT 2;
UPDATE conversations SET queue_rank = CASE status
	WHEN 'urgent' THEN 0 WHEN 'new' THEN 2 WHEN 'open' THEN 2
	WHEN 'resolved' THEN 5 WHEN 'archived' THEN 6 ELSE 7 END;
CREATE INDEX conversations_queue ON conversations (tenant_id, queue_rank, last_message_at, id, source, folder_id, assignee);

-- Projects: a conversation is in a project when it is linked to it or one
-- of its tasks is (ConversationQuery.ProjectID).
ALTER TABLE conversations ADD COLUMN project_id TEXT NOT NULL DEFAULT '';
UPDATE conversations SET project_id = COALESCE(json_extract(doc, '$.ProjectID'), '');
CREATE INDEX conversations_by_project ON conversations (tenant_id, project_id) WHERE project_id <> '';
ALTER TABLE tasks ADD COLUMN project_id TEXT NOT NULL DEFAULT '';
CREATE INDEX tasks_by_project ON tasks (tenant_id, project_id, conversation_id) WHERE project_id <> '';
