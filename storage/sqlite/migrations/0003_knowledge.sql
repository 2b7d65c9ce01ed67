-- Knowledge base (inbox.KnowledgeTx): documents, their chunks, and an FTS5
-- index over the chunks' accent-folded title and text. The FTS5 rowid is
-- knowledge_chunks.seq. FTS5 cannot lead with tenant_id, so every row also
-- holds its tenant as one token in the tenant column, and each search
-- requires that token: the index itself scopes the search to one tenant.
CREATE TABLE knowledge_docs (
	tenant_id TEXT NOT NULL REFERENCES tenants (id),
	id TEXT NOT NULL,
	title TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version INTEGER NOT NULL,
	doc TEXT NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX knowledge_docs_by_title ON knowledge_docs (tenant_id, title, id);

CREATE TABLE knowledge_chunks (
	seq INTEGER PRIMARY KEY,
	tenant_id TEXT NOT NULL,
	doc_id TEXT NOT NULL,
	position INTEGER NOT NULL,
	id TEXT NOT NULL,
	title TEXT NOT NULL,
	text TEXT NOT NULL
);
CREATE UNIQUE INDEX knowledge_chunks_by_doc ON knowledge_chunks (tenant_id, doc_id, position);

CREATE VIRTUAL TABLE knowledge_fts USING fts5 (
	tenant, title, text,
	content = '', contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2'
);
