package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// tenantSnapshot is everything a tenant's Tx can list.
type tenantSnapshot struct {
	Integrations  []inbox.Integration
	Contacts      []inbox.Contact
	Folders       []inbox.Folder
	Conversations []inbox.Conversation
	Messages      map[string][]inbox.Message
	Notes         map[string][]inbox.Note
	Tasks         []inbox.Task
	FollowUps     []inbox.FollowUp
	Drafts        []inbox.Draft
	Outbox        []inbox.OutboxItem
	Quarantine    []inbox.QuarantineItem
	Audit         []inbox.AuditEntry
	Notifications []inbox.Notification
	Unread        map[string]int
}

// snapshot reads everything tenant can list.
func snapshot(t *testing.T, h *harness, tenant inbox.TenantID) tenantSnapshot {
	t.Helper()
	var s tenantSnapshot
	h.viewIn(tenant, func(tx driver.Tx) {
		var err error
		s.Integrations, err = tx.ListIntegrations()
		require.NoError(t, err)
		s.Contacts = listAllContacts(t, tx, inbox.ContactQuery{Limit: 100})
		s.Folders, err = tx.ListFolders()
		require.NoError(t, err)
		s.Conversations = listAll(t, tx, inbox.ConversationQuery{})
		s.Messages = map[string][]inbox.Message{}
		s.Notes = map[string][]inbox.Note{}
		for _, c := range s.Conversations {
			s.Messages[c.ID], err = tx.ListMessages(c.ID)
			require.NoError(t, err)
			s.Notes[c.ID], err = tx.ListNotes(c.ID)
			require.NoError(t, err)
		}
		s.Tasks, err = tx.ListTasks(inbox.TaskQuery{})
		require.NoError(t, err)
		s.FollowUps, err = tx.ListFollowUps(inbox.FollowUpQuery{})
		require.NoError(t, err)
		s.Drafts, err = tx.ListDrafts(inbox.DraftQuery{})
		require.NoError(t, err)
		s.Outbox, err = tx.ListOutbox(inbox.OutboxQuery{})
		require.NoError(t, err)
		s.Quarantine, err = tx.ListQuarantine(inbox.QuarantineQuery{IncludeReplayed: true, Limit: 1000})
		require.NoError(t, err)
		s.Audit, err = tx.ListAudit(inbox.AuditQuery{Limit: 1000})
		require.NoError(t, err)
		s.Notifications, err = tx.ListNotifications(inbox.NotificationQuery{Limit: 1000})
		require.NoError(t, err)
		counts, err := tx.UnreadCounts()
		require.NoError(t, err)
		s.Unread = nonZero(counts)
	})
	return s
}

// listAll walks every page of a conversation query, failing on a cursor
// that does not move on.
func listAll(t require.TestingT, tx driver.Tx, q inbox.ConversationQuery) []inbox.Conversation {
	var all []inbox.Conversation
	seen := map[string]bool{}
	for {
		page, err := tx.ListConversations(q)
		require.NoError(t, err)
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		require.NotEmpty(t, page.Items, "a page with a next cursor must not be empty")
		require.False(t, seen[page.NextCursor], "pagination repeats cursor %q", page.NextCursor)
		require.Less(t, len(all), 100_000, "pagination does not end")
		seen[page.NextCursor] = true
		q.Cursor = page.NextCursor
	}
}

// listAllContacts walks every page of a contact query.
func listAllContacts(t require.TestingT, tx driver.Tx, q inbox.ContactQuery) []inbox.Contact {
	var all []inbox.Contact
	seen := map[string]bool{}
	for {
		page, err := tx.ListContacts(q)
		require.NoError(t, err)
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		require.NotEmpty(t, page.Items, "a page with a next cursor must not be empty")
		require.False(t, seen[page.NextCursor], "pagination repeats cursor %q", page.NextCursor)
		seen[page.NextCursor] = true
		q.Cursor = page.NextCursor
	}
}
