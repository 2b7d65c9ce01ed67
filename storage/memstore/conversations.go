package memstore

import (
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
)

func (t *tx) CreateConversation(c *inbox.Conversation) error {
	if err := inbox.CheckText("conversation", c); err != nil {
		return fmt.Errorf("memstore: create conversation: %w", err)
	}
	if err := t.begin("create conversation", &c.TenantID, &c.ID, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return err
	}
	if _, ok := t.state.conversations[c.ID]; ok {
		return conflict("create conversation", c.ID)
	}
	c.Version = 1
	t.putConversation(nil, cloneConversation(*c))
	return nil
}

// putConversation stores next, keeping the contact and subject indexes in
// step with prev (nil for a new conversation).
func (t *tx) putConversation(prev *conversation, next inbox.Conversation) {
	rec := &conversation{Conversation: next}
	if prev != nil && prev.ContactID != next.ContactID {
		removeID(&t.undo, t.state.byContact, prev.ContactID, next.ID)
	}
	if prev == nil || prev.ContactID != next.ContactID {
		appendID(&t.undo, t.state.byContact, next.ContactID, next.ID)
	}
	if prev != nil && prev.ThreadSubject != next.ThreadSubject {
		removeID(&t.undo, t.state.bySubject, prev.ThreadSubject, next.ID)
	}
	if prev == nil || prev.ThreadSubject != next.ThreadSubject {
		appendID(&t.undo, t.state.bySubject, next.ThreadSubject, next.ID)
	}
	put(&t.undo, t.state.conversations, next.ID, rec)
	t.scanPut(rec)
}

func (t *tx) UpdateConversation(c *inbox.Conversation) error {
	if err := inbox.CheckText("conversation", c); err != nil {
		return fmt.Errorf("memstore: update conversation: %w", err)
	}
	if err := t.write("update conversation"); err != nil {
		return err
	}
	if err := t.ownExisting("conversation", c.ID, &c.TenantID); err != nil {
		return err
	}
	cur, ok := t.state.conversations[c.ID]
	if !ok {
		return notFound("conversation", c.ID)
	}
	if c.Version != cur.Version {
		return staleVersion("conversation", c.ID, c.Version, cur.Version)
	}
	next := cloneConversation(*c)
	next.CreatedAt = cur.CreatedAt
	next.Version = cur.Version + 1
	t.putConversation(cur, next)
	c.Version = next.Version
	return nil
}

func (t *tx) GetConversation(id string) (inbox.Conversation, error) {
	if err := t.read(); err != nil {
		return inbox.Conversation{}, err
	}
	c, ok := t.state.conversations[id]
	if !ok {
		return inbox.Conversation{}, notFound("conversation", id)
	}
	return cloneConversation(c.Conversation), nil
}

// DeleteConversation removes a conversation with its messages (whose
// dedupe keys stay taken), notes, tasks, follow-ups, drafts and outbox
// entries.
func (t *tx) DeleteConversation(id string) error {
	if err := t.write("delete conversation"); err != nil {
		return err
	}
	c, ok := t.state.conversations[id]
	if !ok {
		return notFound("conversation", id)
	}
	for _, mid := range t.state.convMessages[id] {
		t.dropMessage(t.state.messages[mid])
	}
	del(&t.undo, t.state.convMessages, id)
	for _, nid := range t.state.convNotes[id] {
		del(&t.undo, t.state.notes, nid)
	}
	del(&t.undo, t.state.convNotes, id)
	for wid := range t.state.convTasks[id] {
		del(&t.undo, t.state.tasks, wid)
	}
	del(&t.undo, t.state.convTasks, id)
	for wid := range t.state.convFollowUps[id] {
		del(&t.undo, t.state.followUps, wid)
	}
	del(&t.undo, t.state.convFollowUps, id)
	for wid := range t.state.convDrafts[id] {
		del(&t.undo, t.state.drafts, wid)
	}
	del(&t.undo, t.state.convDrafts, id)
	for oid, o := range t.state.outbox {
		if o.ConversationID == id {
			t.dropOutbox(oid)
		}
	}
	t.clearReadMarks(id)
	removeID(&t.undo, t.state.byContact, c.ContactID, id)
	removeID(&t.undo, t.state.bySubject, c.ThreadSubject, id)
	del(&t.undo, t.state.conversations, id)
	t.scanDelete(id)
	return nil
}

// UnreadCounts counts, per folder, the unread conversations that are
// neither spam nor archived.
func (t *tx) UnreadCounts() (map[string]int, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, c := range t.state.conversations {
		if c.Unread > 0 && c.Status != inbox.StatusSpam && c.Status != inbox.StatusArchived {
			counts[c.FolderID]++
		}
	}
	return counts, nil
}
