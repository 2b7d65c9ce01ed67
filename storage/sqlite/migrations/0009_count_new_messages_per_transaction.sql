-- New messages are added to message_volume by the store, once per
-- transaction and group, instead of by a trigger per inserted row. The
-- delete, move, refile and conversation-delete triggers stay.
DROP TRIGGER message_volume_insert;
