-- Internal notes are searched like messages (inbox.NoteSearchDocument):
-- each is a row of message_search under seq -(2^62 + notes.seq). indexed
-- stays false until the store has indexed the note, which Open does for
-- the notes written before this migration.
ALTER TABLE notes ADD COLUMN seq bigserial;
ALTER TABLE notes ADD COLUMN indexed boolean NOT NULL DEFAULT false;
