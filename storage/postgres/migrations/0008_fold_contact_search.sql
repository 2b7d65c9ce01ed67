-- Contact search text is now folded like every other search (inbox.ContactSearchText):
-- cleared here, recomputed by the store when it opens.
UPDATE contacts SET search = '';
