-- inboxkit schema 1 (SQLite). Every table is keyed by tenant first; doc
-- holds the full record as JSON, the other columns are what queries filter
-- and sort on. Times are Unix nanoseconds (0 = unset).

CREATE TABLE tenants (
	id TEXT PRIMARY KEY,
	doc TEXT NOT NULL
);

CREATE TABLE integrations (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	name TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	version INTEGER NOT NULL,
	cursor TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT '',
	last_sync TEXT NOT NULL DEFAULT '{}',
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);

CREATE TABLE contacts (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	name TEXT NOT NULL,
	search TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	version INTEGER NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX contacts_by_name ON contacts (tenant_id, name, id);

CREATE TABLE contact_keys (
	tenant_id TEXT NOT NULL,
	key TEXT NOT NULL,
	contact_id TEXT NOT NULL,
	PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;
CREATE INDEX contact_keys_by_contact ON contact_keys (tenant_id, contact_id);

CREATE TABLE folders (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	name TEXT NOT NULL,
	position INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	version INTEGER NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);

-- seq numbers conversations for the full-text index of their subjects
-- (indexed under -seq, messages under their own seq).
CREATE TABLE conversations (
	seq INTEGER PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	subject TEXT NOT NULL,
	folder_id TEXT NOT NULL,
	status TEXT NOT NULL,
	priority INTEGER NOT NULL,
	source TEXT NOT NULL,
	integration_id TEXT NOT NULL,
	contact_id TEXT NOT NULL,
	assignee TEXT NOT NULL,
	intent TEXT NOT NULL,
	unread INTEGER NOT NULL,
	thread_subject TEXT NOT NULL,
	tags TEXT NOT NULL,
	last_message_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	version INTEGER NOT NULL,
	doc TEXT NOT NULL
);
CREATE UNIQUE INDEX conversations_by_id ON conversations (tenant_id, id);
CREATE INDEX conversations_newest ON conversations (tenant_id, last_message_at, id);
CREATE INDEX conversations_by_folder ON conversations (tenant_id, folder_id, last_message_at, id);
CREATE INDEX conversations_by_status ON conversations (tenant_id, status, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_priority ON conversations (tenant_id, priority, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_contact ON conversations (tenant_id, contact_id, last_message_at);
CREATE INDEX conversations_by_assignee ON conversations (tenant_id, assignee, last_message_at);
CREATE INDEX conversations_unread ON conversations (tenant_id, folder_id)
	WHERE unread > 0 AND status NOT IN ('spam', 'archived');

-- seq is the rowid shared with the full-text index.
CREATE TABLE messages (
	seq INTEGER PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	integration_id TEXT NOT NULL,
	provider_id TEXT NOT NULL,
	sent_at INTEGER NOT NULL,
	has_attachment INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	version INTEGER NOT NULL,
	doc TEXT NOT NULL
);
CREATE UNIQUE INDEX messages_by_id ON messages (tenant_id, id);
CREATE INDEX messages_by_conversation ON messages (tenant_id, conversation_id, sent_at);
CREATE INDEX messages_by_provider ON messages (tenant_id, integration_id, provider_id) WHERE provider_id <> '';

-- Dedupe keys outlive their messages (tombstones).
CREATE TABLE dedupe_keys (
	tenant_id TEXT NOT NULL,
	key TEXT NOT NULL,
	message_id TEXT NOT NULL,
	PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;

CREATE TABLE thread_keys (
	seq INTEGER PRIMARY KEY,
	tenant_id TEXT NOT NULL,
	key TEXT NOT NULL,
	message_id TEXT NOT NULL,
	conversation_id TEXT NOT NULL
);
CREATE INDEX thread_keys_by_key ON thread_keys (tenant_id, key);
CREATE INDEX thread_keys_by_message ON thread_keys (tenant_id, message_id);
CREATE INDEX thread_keys_by_conversation ON thread_keys (tenant_id, conversation_id);

-- Contentless: the text lives once, in messages.doc. Rows are messages
-- (rowid = messages.seq) and conversation subjects (rowid = -conversations.seq).
CREATE VIRTUAL TABLE messages_fts USING fts5 (
	subject, body, sender,
	content = '', contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2'
);
-- Merge segments less eagerly than the default (4): ingest writes much more
-- often than searches need a compact index.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 8);
-- Buffer 16 MB of pending terms per connection before writing a segment:
-- fewer, larger segments, much less merging during batched ingest.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', 16777216);

CREATE TABLE notes (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX notes_by_conversation ON notes (tenant_id, conversation_id, created_at);

CREATE TABLE tasks (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	assignee TEXT NOT NULL,
	open INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	version INTEGER NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX tasks_by_conversation ON tasks (tenant_id, conversation_id);
CREATE INDEX tasks_by_assignee ON tasks (tenant_id, assignee);

CREATE TABLE follow_ups (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	status TEXT NOT NULL,
	due_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	version INTEGER NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX follow_ups_due ON follow_ups (tenant_id, status, due_at);
CREATE INDEX follow_ups_by_conversation ON follow_ups (tenant_id, conversation_id);

CREATE TABLE drafts (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	status TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	version INTEGER NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX drafts_by_conversation ON drafts (tenant_id, conversation_id);
CREATE INDEX drafts_by_status ON drafts (tenant_id, status);

CREATE TABLE outbox (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	message_id TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	idempotency_key TEXT NOT NULL,
	status TEXT NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX outbox_idempotency ON outbox (tenant_id, idempotency_key);
CREATE INDEX outbox_due ON outbox (tenant_id, status, next_attempt_at);
CREATE INDEX outbox_by_message ON outbox (tenant_id, message_id);

CREATE TABLE quarantine (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	integration_id TEXT NOT NULL,
	replayed INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX quarantine_newest ON quarantine (tenant_id, created_at, id);

CREATE TABLE audit (
	seq INTEGER PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	entity_id TEXT NOT NULL,
	at INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	doc TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_by_id ON audit (tenant_id, id);
CREATE INDEX audit_newest ON audit (tenant_id, at, id);
CREATE INDEX audit_by_conversation ON audit (tenant_id, conversation_id, at);
CREATE INDEX audit_by_entity ON audit (tenant_id, entity_id, at);

CREATE TABLE notifications (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	read_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX notifications_by_user ON notifications (tenant_id, user_id, created_at);
