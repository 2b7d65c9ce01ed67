-- Knowledge base (inbox.KnowledgeTx): documents and their chunks. tsv holds
-- the chunk's accent-folded title and text (folded in Go like messages)
-- with positions, so ts_rank sees term frequencies. tenant_id leads the GIN
-- index when btree_gin is installed (Open tries to install it).
CREATE TABLE knowledge_docs (
	tenant_id text NOT NULL REFERENCES tenants (id),
	id text NOT NULL,
	title text NOT NULL,
	created_at bigint NOT NULL,
	updated_at bigint NOT NULL,
	version bigint NOT NULL,
	doc json NOT NULL,
	PRIMARY KEY (tenant_id, id)
);
CREATE INDEX knowledge_docs_by_title ON knowledge_docs (tenant_id, title, id);

CREATE TABLE knowledge_chunks (
	tenant_id text NOT NULL,
	doc_id text NOT NULL,
	position integer NOT NULL,
	id text NOT NULL,
	title text NOT NULL,
	text text NOT NULL,
	tsv tsvector NOT NULL,
	PRIMARY KEY (tenant_id, doc_id, position)
);
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN
		CREATE INDEX knowledge_chunks_tsv ON knowledge_chunks USING gin (tenant_id, tsv);
	ELSE
		CREATE INDEX knowledge_chunks_tsv ON knowledge_chunks USING gin (tsv);
	END IF;
END
$$;
