-- Merge full-text segments once sixteen (not eight) share a level. Every
-- ingest transaction writes one segment, and merging them was a quarter of
-- the index's cost; with one level fewer at a million messages, searches
-- read a few more segments and measured no slower.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 16);
