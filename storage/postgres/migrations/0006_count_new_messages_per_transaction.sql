-- New messages are added to message_volume by the store, once per
-- transaction and group, instead of by a trigger per inserted row: each
-- trigger updated a row the transaction had already updated, walking the
-- chain of its earlier versions. Deletes keep their trigger, as do moves,
-- refiling and conversation deletes.
DROP TRIGGER message_volume_insert ON messages;
CREATE TRIGGER message_volume_delete AFTER DELETE ON messages
	FOR EACH ROW EXECUTE FUNCTION message_volume_on_message();
