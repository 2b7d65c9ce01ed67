-- The priority sort walks conversations_by_priority and filters the rows
-- it meets. When the filtered rows all sort last (an inbox whose text
-- messages are all archived, say), it fetched every other conversation's
-- row to check its source. Key columns after the sort order are checked in
-- the index, so only the page's rows are fetched.
DROP INDEX conversations_by_priority;
CREATE INDEX conversations_by_priority ON conversations (tenant_id, priority, last_message_at DESC, id DESC, source, folder_id, assignee);
