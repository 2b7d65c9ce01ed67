-- The priority sort walks conversations_by_priority and filters the rows
-- it meets. When the filtered rows all sort last (an inbox whose text
-- messages are all archived, say), it read every other conversation's row
-- to check its source: 160 ms at 100k conversations. With the usual list
-- filters in the index the rows are checked there, and only the page is
-- read (12 ms in the same case).
DROP INDEX conversations_by_priority;
CREATE INDEX conversations_by_priority ON conversations (tenant_id, priority, last_message_at DESC, id DESC, source, folder_id, assignee);
