-- inboxkit schema 1 (PostgreSQL). Every table is keyed by tenant first; doc
-- holds the full record as JSON, the other columns are what queries filter
-- and sort on. Times are Unix nanoseconds (0 = unset).

CREATE TABLE tenants (
	id text PRIMARY KEY,
	doc json NOT NULL
);

CREATE TABLE integrations (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	name text NOT NULL,
	created_at bigint NOT NULL,
	version bigint NOT NULL,
	cursor text NOT NULL DEFAULT '',
	status text NOT NULL DEFAULT '',
	last_sync jsonb NOT NULL DEFAULT '{}',
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);

CREATE TABLE contacts (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	name text NOT NULL,
	search text NOT NULL,
	created_at bigint NOT NULL,
	version bigint NOT NULL,
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX contacts_by_name ON contacts (tenant_id, name, id);

CREATE TABLE contact_keys (
	tenant_id text NOT NULL,
	key text NOT NULL,
	contact_id text NOT NULL,
	PRIMARY KEY (tenant_id, key)
);
CREATE INDEX contact_keys_by_contact ON contact_keys (tenant_id, contact_id);

CREATE TABLE folders (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	name text NOT NULL,
	position bigint NOT NULL,
	created_at bigint NOT NULL,
	version bigint NOT NULL,
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);

-- seq numbers conversations for the full-text index of their subjects
-- (indexed under -seq, messages under their own seq).
CREATE TABLE conversations (
	seq bigint GENERATED ALWAYS AS IDENTITY,
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	subject text NOT NULL,
	folder_id text NOT NULL,
	status text NOT NULL,
	priority bigint NOT NULL,
	source text NOT NULL,
	integration_id text NOT NULL,
	contact_id text NOT NULL,
	assignee text NOT NULL,
	intent text NOT NULL,
	unread bigint NOT NULL,
	thread_subject text NOT NULL,
	tags jsonb NOT NULL,
	last_message_at bigint NOT NULL,
	created_at bigint NOT NULL,
	version bigint NOT NULL,
	doc json NOT NULL
);
ALTER TABLE conversations ADD PRIMARY KEY (tenant_id, id);
CREATE UNIQUE INDEX conversations_by_seq ON conversations (tenant_id, seq);
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
	seq bigint GENERATED ALWAYS AS IDENTITY,
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	conversation_id text NOT NULL,
	integration_id text NOT NULL,
	provider_id text NOT NULL,
	sent_at bigint NOT NULL,
	has_attachment boolean NOT NULL,
	created_at bigint NOT NULL,
	version bigint NOT NULL,
	doc json NOT NULL
);
ALTER TABLE messages ADD PRIMARY KEY (tenant_id, id);
CREATE UNIQUE INDEX messages_by_seq ON messages (tenant_id, seq);
CREATE INDEX messages_by_conversation ON messages (tenant_id, conversation_id, sent_at);
CREATE INDEX messages_by_provider ON messages (tenant_id, integration_id, provider_id) WHERE provider_id <> '';

-- Dedupe keys outlive their messages (tombstones).
CREATE TABLE dedupe_keys (
	tenant_id text NOT NULL,
	key text NOT NULL,
	message_id text NOT NULL,
	PRIMARY KEY (tenant_id, key)
);

CREATE TABLE thread_keys (
	seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id text NOT NULL,
	key text NOT NULL,
	message_id text NOT NULL,
	conversation_id text NOT NULL
);
CREATE INDEX thread_keys_by_key ON thread_keys (tenant_id, key);
CREATE INDEX thread_keys_by_message ON thread_keys (tenant_id, message_id);
CREATE INDEX thread_keys_by_conversation ON thread_keys (tenant_id, conversation_id);

-- Full-text index. tsv holds the accent-folded words of the subject, body
-- and sender (folded in Go, so matching needs no unaccent extension),
-- stripped of positions: the index costs less than the text it covers, and
-- a quoted phrase matches its words anywhere in the message (never fewer
-- messages than a phrase). sender keeps positions, for from:. Rows are
-- messages (seq = messages.seq) and conversation subjects
-- (seq = -conversations.seq). tenant_id leads the GIN indexes when
-- btree_gin is installed (Open tries to install it).
CREATE TABLE message_search (
	tenant_id text NOT NULL,
	seq bigint NOT NULL,
	conversation_id text NOT NULL,
	tsv tsvector NOT NULL,
	sender tsvector NOT NULL,
	PRIMARY KEY (tenant_id, seq)
);
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN
		CREATE INDEX message_search_tsv ON message_search USING gin (tenant_id, tsv);
		CREATE INDEX message_search_sender ON message_search USING gin (tenant_id, sender);
	ELSE
		CREATE INDEX message_search_tsv ON message_search USING gin (tsv);
		CREATE INDEX message_search_sender ON message_search USING gin (sender);
	END IF;
END
$$;
CREATE INDEX message_search_by_conversation ON message_search (tenant_id, conversation_id);

CREATE TABLE notes (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	conversation_id text NOT NULL,
	created_at bigint NOT NULL,
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX notes_by_conversation ON notes (tenant_id, conversation_id, created_at);

CREATE TABLE tasks (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	conversation_id text NOT NULL,
	assignee text NOT NULL,
	open boolean NOT NULL,
	created_at bigint NOT NULL,
	version bigint NOT NULL,
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX tasks_by_conversation ON tasks (tenant_id, conversation_id);
CREATE INDEX tasks_by_assignee ON tasks (tenant_id, assignee);

CREATE TABLE follow_ups (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	conversation_id text NOT NULL,
	status text NOT NULL,
	due_at bigint NOT NULL,
	created_at bigint NOT NULL,
	version bigint NOT NULL,
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX follow_ups_due ON follow_ups (tenant_id, status, due_at);
CREATE INDEX follow_ups_by_conversation ON follow_ups (tenant_id, conversation_id);

CREATE TABLE drafts (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	conversation_id text NOT NULL,
	status text NOT NULL,
	created_at bigint NOT NULL,
	version bigint NOT NULL,
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX drafts_by_conversation ON drafts (tenant_id, conversation_id);
CREATE INDEX drafts_by_status ON drafts (tenant_id, status);

CREATE TABLE outbox (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	message_id text NOT NULL,
	conversation_id text NOT NULL,
	idempotency_key text NOT NULL,
	status text NOT NULL,
	next_attempt_at bigint NOT NULL,
	created_at bigint NOT NULL,
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX outbox_idempotency ON outbox (tenant_id, idempotency_key);
CREATE INDEX outbox_due ON outbox (tenant_id, status, next_attempt_at);
CREATE INDEX outbox_by_message ON outbox (tenant_id, message_id);

CREATE TABLE quarantine (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	integration_id text NOT NULL,
	replayed boolean NOT NULL,
	created_at bigint NOT NULL,
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX quarantine_newest ON quarantine (tenant_id, created_at, id);

CREATE TABLE audit (
	seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	conversation_id text NOT NULL,
	entity_id text NOT NULL,
	at bigint NOT NULL,
	created_at bigint NOT NULL,
	doc json NOT NULL
);
CREATE UNIQUE INDEX audit_by_id ON audit (tenant_id, id);
CREATE INDEX audit_newest ON audit (tenant_id, at, id);
CREATE INDEX audit_by_conversation ON audit (tenant_id, conversation_id, at);
CREATE INDEX audit_by_entity ON audit (tenant_id, entity_id, at);

CREATE TABLE notifications (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	user_id text NOT NULL,
	read_at bigint NOT NULL,
	created_at bigint NOT NULL,
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX notifications_by_user ON notifications (tenant_id, user_id, created_at);
