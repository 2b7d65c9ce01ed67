package inbox_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/inboxtest"
)

// TestReadStatePerAgent follows two agents on one conversation: one
// reading it leaves it unread for the other, marking unread is one's own,
// a new customer message is unread for both, and the team-wide MarkRead
// and a reply set everyone's state.
func TestReadStatePerAgent(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	integ := e.integration(inbox.SourceSMS, map[string]string{"number": "+33100000000"})
	in := func(id, text string) string {
		m := sms(id, "+33600000001", text)
		m.IntegrationID = integ.ID
		return e.ingest(m).Items[0].ConversationID
	}
	id := in("p1", "Bonjour, ma commande ?")
	unreadFor := func(agent string) bool {
		t.Helper()
		page, err := e.engine.Conversations(e.ctx, tenantA, inbox.ConversationQuery{Reader: agent})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		one, err := e.engine.ReaderUnread(e.ctx, tenantA, agent, page.Items[0])
		require.NoError(t, err)
		require.Equal(t, page.ReaderUnread[id], one[id], "a list and a single conversation agree")
		counts, err := e.engine.ReaderUnreadCounts(e.ctx, tenantA, agent)
		require.NoError(t, err)
		filtered, err := e.engine.Conversations(e.ctx, tenantA, inbox.ConversationQuery{Reader: agent, UnreadOnly: true})
		require.NoError(t, err)
		require.Equal(t, counts[""], len(filtered.Items), "the badge and the Unread filter of %s agree", agent)
		require.Equal(t, one[id], counts[""] == 1, "the flag and the badge of %s agree", agent)
		return one[id]
	}
	require.True(t, unreadFor("ana"))
	require.True(t, unreadFor("bob"))

	before := e.conversation(id)
	c, err := e.engine.MarkReadFor(e.ctx, tenantA, id, "ana", true)
	require.NoError(t, err)
	require.Equal(t, id, c.ID)
	require.False(t, unreadFor("ana"), "ana opened it")
	require.True(t, unreadFor("bob"), "bob has not")
	after := e.conversation(id)
	require.Equal(t, before.Version, after.Version, "an agent's own read state is not a change of the conversation")
	require.Equal(t, 1, after.Unread, "the team's count is unchanged")

	_, err = e.engine.MarkReadFor(e.ctx, tenantA, id, "ana", false)
	require.NoError(t, err)
	require.True(t, unreadFor("ana"), "ana marked it unread again")
	_, err = e.engine.MarkReadFor(e.ctx, tenantA, id, "ana", true)
	require.NoError(t, err)
	_, err = e.engine.MarkReadFor(e.ctx, tenantA, id, "bob", true)
	require.NoError(t, err)
	require.False(t, unreadFor("ana"))
	require.False(t, unreadFor("bob"))

	require.Equal(t, id, in("p2", "Vous êtes là ?"), "the same conversation")
	require.True(t, unreadFor("ana"), "the customer wrote again")
	require.True(t, unreadFor("bob"))

	// Bulk for one agent.
	items, err := e.engine.Bulk(e.ctx, tenantA, inbox.BulkRequest{Action: inbox.BulkRead, ConversationIDs: []string{id}, Reader: "bob"}, inbox.Change{Actor: "bob"})
	require.NoError(t, err)
	require.NoError(t, items[0].Err)
	require.False(t, unreadFor("bob"))
	require.True(t, unreadFor("ana"))

	// The team-wide state overrides everyone's marks.
	_, err = e.engine.MarkReadFor(e.ctx, tenantA, id, "cleo", false)
	require.NoError(t, err)
	_, err = e.engine.MarkRead(e.ctx, tenantA, id, true, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.False(t, unreadFor("ana"))
	require.False(t, unreadFor("cleo"), "cleo's mark was cleared by the team's")
	_, err = e.engine.MarkRead(e.ctx, tenantA, id, false, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.True(t, unreadFor("ana"))
	require.True(t, unreadFor("bob"))

	// A reply reads it for the team, and for the replier who had marked it unread.
	_, err = e.engine.MarkReadFor(e.ctx, tenantA, id, "bob", false)
	require.NoError(t, err)
	_, err = e.engine.MarkReadFor(e.ctx, tenantA, id, "ana", false)
	require.NoError(t, err)
	_, err = e.engine.Reply(e.ctx, tenantA, id, inbox.ReplyRequest{Text: "Oui, elle part demain."}, inbox.Change{Actor: "bob"})
	require.NoError(t, err)
	require.False(t, unreadFor("bob"))
	require.True(t, unreadFor("ana"), "ana's own mark stays")
	require.False(t, unreadFor("dan"))

	_, err = e.engine.MarkReadFor(e.ctx, tenantA, id, " ", true)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	_, err = e.engine.MarkReadFor(e.ctx, tenantA, "no-such-conversation", "ana", true)
	require.ErrorIs(t, err, inbox.ErrNotFound)
	_, err = e.engine.Conversations(e.ctx, tenantA, inbox.ConversationQuery{Reader: string(make([]byte, inbox.MaxAgentIDBytes+1))})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

// TestMarkReadForAnnouncesToTheAgent: marking read or unread for oneself
// publishes EventReaderState naming the agent and the new state, so the
// agent's other screens follow; the team-wide MarkRead does not.
func TestMarkReadForAnnouncesToTheAgent(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	id := e.ingest(sms("r1", "+33600000002", "Bonjour")).Items[0].ConversationID
	rec := inboxtest.Record(t, e.engine)
	_, err := e.engine.MarkReadFor(e.ctx, tenantA, id, "ana", true)
	require.NoError(t, err)
	_, err = e.engine.MarkReadFor(e.ctx, tenantA, id, "ana", false)
	require.NoError(t, err)
	_, err = e.engine.MarkRead(e.ctx, tenantA, id, true, inbox.Change{Actor: "bob"})
	require.NoError(t, err)
	rec.Wait(t, inboxtest.OfType(inbox.EventConversationUpdated))
	var got []string
	for _, ev := range rec.Events() {
		if ev.Type == inbox.EventReaderState {
			require.Equal(t, id, ev.ConversationID)
			require.Equal(t, tenantA, ev.TenantID)
			got = append(got, ev.Detail)
		}
	}
	require.Equal(t, []string{"read:ana", "unread:ana"}, got)
}
