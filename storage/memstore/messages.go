package memstore

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/inboxkit/inboxkit/inbox"
)

// newMessageRecord wraps a message for storage.
func newMessageRecord(m inbox.Message) *message { return &message{Message: m} }

// InsertMessage stores a message with its dedupe and thread keys. A taken
// dedupe key is ErrConflict and nothing is stored.
func (t *tx) InsertMessage(m *inbox.Message) error {
	if err := inbox.CheckText("message", m); err != nil {
		return fmt.Errorf("memstore: insert message: %w", err)
	}
	if err := t.write("insert message"); err != nil {
		return err
	}
	if err := t.own("insert message", &m.TenantID); err != nil {
		return err
	}
	if m.ID != "" {
		if _, ok := t.state.messages[m.ID]; ok {
			return conflict("insert message", m.ID)
		}
	}
	if _, ok := t.state.conversations[m.ConversationID]; !ok {
		return notFound("conversation", m.ConversationID)
	}
	for _, k := range m.DedupeKeys {
		if holder, ok := t.state.dedupe[k]; ok {
			return fmt.Errorf("memstore: insert message: dedupe key %q taken by message %q: %w", k, holder, inbox.ErrConflict)
		}
	}
	if m.ID == "" {
		m.ID = inbox.NewID()
	}
	setIfZero(&m.CreatedAt, storeNow())
	m.Version = 1
	rec := newMessageRecord(cloneMessage(*m))
	put(&t.undo, t.state.messages, m.ID, rec)
	appendID(&t.undo, t.state.convMessages, m.ConversationID, m.ID)
	for _, k := range m.DedupeKeys {
		put(&t.undo, t.state.dedupe, k, m.ID)
	}
	holder := threadHolder{message: m.ID, conversation: m.ConversationID, created: rec.CreatedAt.UnixMicro()}
	for _, k := range rec.ThreadKeys {
		t.addThreadKey(k, holder)
	}
	if m.ProviderID != "" {
		appendID(&t.undo, t.state.byProvider, providerKey{m.IntegrationID, m.ProviderID}, m.ID)
	}
	return nil
}

// UpdateMessage writes every field but the conversation and the keys,
// which are fixed at insert.
func (t *tx) UpdateMessage(m *inbox.Message) error {
	if err := inbox.CheckText("message", m); err != nil {
		return fmt.Errorf("memstore: update message: %w", err)
	}
	if err := t.write("update message"); err != nil {
		return err
	}
	if err := t.ownExisting("message", m.ID, &m.TenantID); err != nil {
		return err
	}
	cur, ok := t.state.messages[m.ID]
	if !ok {
		return notFound("message", m.ID)
	}
	if m.Version != cur.Version {
		return staleVersion("message", m.ID, m.Version, cur.Version)
	}
	next := cloneMessage(*m)
	next.ConversationID, next.DedupeKeys, next.ThreadKeys = cur.ConversationID, cur.DedupeKeys, cur.ThreadKeys
	next.CreatedAt = cur.CreatedAt
	next.Version = cur.Version + 1
	oldKey, newKey := providerKey{cur.IntegrationID, cur.ProviderID}, providerKey{next.IntegrationID, next.ProviderID}
	if oldKey != newKey {
		if cur.ProviderID != "" {
			removeID(&t.undo, t.state.byProvider, oldKey, m.ID)
		}
		if next.ProviderID != "" {
			appendID(&t.undo, t.state.byProvider, newKey, m.ID)
		}
	}
	put(&t.undo, t.state.messages, m.ID, newMessageRecord(next))
	m.Version = next.Version
	return nil
}

func (t *tx) GetMessage(id string) (inbox.Message, error) {
	if err := t.read(); err != nil {
		return inbox.Message{}, err
	}
	m, ok := t.state.messages[id]
	if !ok {
		return inbox.Message{}, notFound("message", id)
	}
	return cloneMessage(m.Message), nil
}

// GetMessageByProviderID returns the latest message stored under a
// channel id.
func (t *tx) GetMessageByProviderID(integrationID, providerID string) (inbox.Message, error) {
	if err := t.read(); err != nil {
		return inbox.Message{}, err
	}
	ids := t.state.byProvider[providerKey{integrationID, providerID}]
	if providerID == "" || len(ids) == 0 {
		return inbox.Message{}, notFound("message with provider id", providerID)
	}
	return cloneMessage(t.state.messages[ids[len(ids)-1]].Message), nil
}

// ListMessages returns a conversation's messages by SentAt, then id.
func (t *tx) ListMessages(conversationID string) ([]inbox.Message, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	if _, ok := t.state.conversations[conversationID]; !ok {
		return nil, notFound("conversation", conversationID)
	}
	ids := t.state.convMessages[conversationID]
	out := make([]inbox.Message, len(ids))
	for i, id := range ids {
		out[i] = cloneMessage(t.state.messages[id].Message)
	}
	slices.SortFunc(out, func(a, b inbox.Message) int {
		return cmp.Or(a.SentAt.Compare(b.SentAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// FirstInbound returns the first inbound message, in ListMessages order,
// of each known conversation that has one.
func (t *tx) FirstInbound(conversationIDs []string) (map[string]inbox.Message, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	out := make(map[string]inbox.Message, len(conversationIDs))
	for _, conv := range conversationIDs {
		var first *inbox.Message
		for _, id := range t.state.convMessages[conv] {
			m := &t.state.messages[id].Message
			if m.Direction != inbox.DirectionIn {
				continue
			}
			if first == nil || cmp.Or(m.SentAt.Compare(first.SentAt), cmp.Compare(m.ID, first.ID)) < 0 {
				first = m
			}
		}
		if first != nil {
			out[conv] = cloneMessage(*first)
		}
	}
	return out, nil
}

// LastInbound returns the conversation's latest inbound message in
// ListMessages order.
func (t *tx) LastInbound(conversationID string) (inbox.Message, error) {
	msgs, err := t.ListMessages(conversationID)
	if err != nil {
		return inbox.Message{}, err
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Direction == inbox.DirectionIn {
			return msgs[i], nil
		}
	}
	return inbox.Message{}, fmt.Errorf("last inbound message of %q: %w", conversationID, inbox.ErrNotFound)
}

// LookupDedupeKeys reads the dedupe index, tombstones included.
func (t *tx) LookupDedupeKeys(keys []string) (map[string]string, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		if id, ok := t.state.dedupe[k]; ok {
			out[k] = id
		}
	}
	return out, nil
}

// LookupThreadKeys returns, per key, the conversation of the holder with
// the greatest (CreatedAt, ID), kept decided in the index: one map access
// per key, whatever the store's size.
func (t *tx) LookupThreadKeys(keys []string) (map[string]string, error) {
	if err := t.read(); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		if h, ok := t.state.threadKeys[k]; ok {
			out[k] = h.conversation
		}
	}
	return out, nil
}

// MoveMessage moves a message, and so its thread keys, to another
// conversation.
func (t *tx) MoveMessage(messageID, conversationID string) error {
	if err := t.write("move message"); err != nil {
		return err
	}
	cur, ok := t.state.messages[messageID]
	if !ok {
		return notFound("message", messageID)
	}
	if _, ok := t.state.conversations[conversationID]; !ok {
		return notFound("conversation", conversationID)
	}
	if cur.ConversationID == conversationID {
		return nil
	}
	next := newMessageRecord(cur.Message)
	next.ConversationID = conversationID
	next.Version++
	removeID(&t.undo, t.state.convMessages, cur.ConversationID, messageID)
	appendID(&t.undo, t.state.convMessages, conversationID, messageID)
	for _, k := range cur.ThreadKeys {
		t.moveThreadKey(k, messageID, conversationID)
	}
	put(&t.undo, t.state.messages, messageID, next)
	return nil
}

// dropMessage removes a message and its thread and provider keys; its
// dedupe keys stay as tombstones. The caller removes it from its
// conversation's list.
func (t *tx) dropMessage(m *message) {
	for _, k := range m.ThreadKeys {
		t.removeThreadKey(k, m.ID)
	}
	if m.ProviderID != "" {
		removeID(&t.undo, t.state.byProvider, providerKey{m.IntegrationID, m.ProviderID}, m.ID)
	}
	del(&t.undo, t.state.messages, m.ID)
}
