-- Internal notes are searched like messages (inbox.NoteSearchDocument):
-- each is a row of messages_fts under rowid -(2^62 + seq). seq numbers
-- notes for good (a plain rowid may change on VACUUM); indexed stays 0
-- until the store has indexed the note, which Open does for the notes
-- written before this migration.
ALTER TABLE notes ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notes ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;
UPDATE notes SET seq = rowid;
CREATE UNIQUE INDEX notes_by_seq ON notes (seq);
