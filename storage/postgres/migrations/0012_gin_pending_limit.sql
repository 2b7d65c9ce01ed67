-- Bound the pending lists of the full-text indexes: a search reads an
-- index's whole pending list, which after a bulk load held every new
-- entry (4 MB by default). 256 kB keeps that read short; inserts flush
-- the list into the index when it fills.
ALTER INDEX message_search_tsv SET (gin_pending_list_limit = 256);
ALTER INDEX message_search_sender SET (gin_pending_list_limit = 256);
ALTER INDEX knowledge_chunks_tsv SET (gin_pending_list_limit = 256);
