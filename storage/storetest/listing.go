package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// variedConversations creates n conversations whose fields cycle with
// different periods, so every filter and sort has matches, misses and
// ties.
func variedConversations(t *testing.T, h *harness, n int) []inbox.Conversation {
	sources := []inbox.Source{inbox.SourceEmail, inbox.SourceSMS, inbox.SourceWhatsApp, inbox.SourceWebhook}
	folders := []string{"folder-1", "folder-2", ""}
	assignees := []string{"emp-1", "", "emp-2", "", "emp-1"}
	intents := []inbox.Intent{inbox.IntentQuestion, inbox.IntentComplaint, ""}
	priorities := []inbox.Priority{"", inbox.PriorityLow, inbox.PriorityHigh, inbox.PriorityUrgent, inbox.PriorityNormal}
	projects := []string{"", "proj-1", "", "proj-2"}
	subjects := []string{"Lampe", "Facture", "Retour", "Lampe"}
	all := make([]inbox.Conversation, 0, n)
	h.update(func(tx driver.Tx) {
		for i := range n {
			c := inbox.Conversation{
				Source:        sources[i%4],
				IntegrationID: fmt.Sprintf("int-%d", i%2),
				ContactID:     fmt.Sprintf("contact-%d", i%7),
				FolderID:      folders[i%3],
				Status:        inbox.Statuses[i%6],
				Intent:        intents[(i/3)%3],
				Assignee:      assignees[i%5],
				Unread:        i % 4,
				Subject:       subjects[i%4],
				ThreadSubject: subjects[i%4],
				LastMessageAt: at(time.Duration(i%10) * time.Hour),
				Priority:      priorities[(i/2)%5],
				ProjectID:     projects[(i/5)%4],
			}
			if i%7 == 3 {
				c.SnoozedUntil = at(48 * time.Hour)
			}
			if i%2 == 0 {
				c.Tags = append(c.Tags, "vip")
			}
			if i%3 == 0 {
				c.Tags = append(c.Tags, "late")
			}
			require.NoError(t, tx.CreateConversation(&c))
			all = append(all, c)
		}
	})
	return all
}

func testListConversations(t *testing.T, newStore NewStoreFunc) {
	queries := map[string]inbox.ConversationQuery{
		"all":                 {},
		"folder":              {FolderID: "folder-1"},
		"unfiled":             {FolderID: inbox.Unfiled},
		"unknown folder":      {FolderID: "folder-9"},
		"one status":          {Statuses: []inbox.Status{inbox.StatusOpen}},
		"statuses":            {Statuses: []inbox.Status{inbox.StatusNew, inbox.StatusUrgent, inbox.StatusSpam}},
		"one source":          {Sources: []inbox.Source{inbox.SourceSMS}},
		"sources":             {Sources: []inbox.Source{inbox.SourceEmail, inbox.SourceWebhook}},
		"assignee":            {Assignee: "emp-1"},
		"unassigned":          {Assignee: inbox.Unassigned},
		"unread":              {UnreadOnly: true},
		"tag":                 {Tag: "late"},
		"intent":              {Intent: inbox.IntentComplaint},
		"contact":             {ContactID: "contact-3"},
		"integration":         {IntegrationID: "int-1"},
		"thread subject":      {ThreadSubject: "Lampe"},
		"since":               {Since: at(3 * time.Hour)},
		"until":               {Until: at(7 * time.Hour)},
		"since until":         {Since: at(3 * time.Hour), Until: at(7 * time.Hour)},
		"folder status":       {FolderID: "folder-2", Statuses: []inbox.Status{inbox.StatusNew, inbox.StatusOpen, inbox.StatusUrgent}},
		"unfiled unassigned":  {FolderID: inbox.Unfiled, Assignee: inbox.Unassigned, UnreadOnly: true},
		"contact subject":     {ContactID: "contact-0", ThreadSubject: "Lampe", Sources: []inbox.Source{inbox.SourceEmail}},
		"tag intent since":    {Tag: "vip", Intent: inbox.IntentQuestion, Since: at(2 * time.Hour)},
		"integration sources": {IntegrationID: "int-0", Sources: []inbox.Source{inbox.SourceEmail, inbox.SourceWhatsApp}, Until: at(5 * time.Hour)},
		"open work":           {OpenWork: true},
		"contacts":            {ContactIDs: []string{"contact-2", "contact-5"}},
		"open work folder":    {OpenWork: true, FolderID: "folder-1", Assignee: "emp-1"},
		"project":             {ProjectID: "proj-1"},
		"nothing":             {ContactID: "contact-1", ThreadSubject: "Facture", IntegrationID: "int-0", Tag: "none"},
	}
	t.Run("FiltersAndSorts", func(t *testing.T) {
		h := setup(t, newStore)
		all := variedConversations(t, h, 60)
		h.view(func(tx driver.Tx) {
			for name, q := range queries {
				for _, s := range sorts {
					q.Sort, q.Limit = s, 500
					page, err := tx.ListConversations(q)
					require.NoError(t, err)
					require.Equal(t, modelList(all, q), conversationIDs(page.Items), "%s, sort %q", name, s)
					require.Empty(t, page.NextCursor, "%s: a complete list has no next page", name)
				}
			}
		})
	})
	t.Run("SortOrders", func(t *testing.T) {
		h := setup(t, newStore)
		// Explicit expectations, independent of the model.
		mk := func(status inbox.Status, hours int) inbox.Conversation {
			return h.conversation(func(c *inbox.Conversation) { c.Status = status; c.LastMessageAt = at(time.Duration(hours) * time.Hour) })
		}
		a := mk(inbox.StatusResolved, 1)
		b := mk(inbox.StatusUrgent, 2)
		c := mk(inbox.StatusNew, 3)
		d := mk(inbox.StatusUrgent, 2) // ties with b on status and time: id decides
		e := mk(inbox.StatusArchived, 0)
		first, second := b.ID, d.ID
		if d.ID > b.ID {
			first, second = d.ID, b.ID
		}
		for s, want := range map[inbox.Sort][]string{
			inbox.SortNewest:   {c.ID, first, second, a.ID, e.ID},
			inbox.SortOldest:   {e.ID, a.ID, second, first, c.ID},
			inbox.SortPriority: {first, second, c.ID, a.ID, e.ID},
			inbox.SortStatus:   {first, second, c.ID, a.ID, e.ID},
			inbox.SortQueue:    {second, first, c.ID, a.ID, e.ID},
		} {
			h.view(func(tx driver.Tx) {
				page, err := tx.ListConversations(inbox.ConversationQuery{Sort: s})
				require.NoError(t, err)
				require.Equal(t, want, conversationIDs(page.Items), "sort %q", s)
			})
		}
	})
	t.Run("Projects", func(t *testing.T) {
		// A conversation is in a project when it is linked to it or one
		// of its tasks is.
		h := setup(t, newStore)
		linked := h.conversation(func(c *inbox.Conversation) { c.ProjectID = "proj-x"; c.LastMessageAt = at(3 * time.Hour) })
		byTask := h.conversation(func(c *inbox.Conversation) { c.LastMessageAt = at(2 * time.Hour) })
		other := h.conversation(func(c *inbox.Conversation) { c.LastMessageAt = at(1 * time.Hour) })
		h.conversation(func(c *inbox.Conversation) { c.ProjectID = "proj-y" })
		var task inbox.Task
		h.update(func(tx driver.Tx) {
			task = inbox.Task{ConversationID: byTask.ID, ProjectID: "proj-x", Title: "Send the quote"}
			require.NoError(t, tx.CreateTask(&task))
			require.NoError(t, tx.CreateTask(&inbox.Task{ConversationID: other.ID, ProjectID: "proj-z", Title: "Call back"}))
			require.NoError(t, tx.CreateTask(&inbox.Task{ConversationID: linked.ID, ProjectID: "proj-x", Title: "Ship"}))
		})
		h.view(func(tx driver.Tx) {
			page, err := tx.ListConversations(inbox.ConversationQuery{ProjectID: "proj-x", WithTotal: true})
			require.NoError(t, err)
			require.Equal(t, []string{linked.ID, byTask.ID}, conversationIDs(page.Items))
			require.Equal(t, 2, page.Total)
			tasks, err := tx.ListTasks(inbox.TaskQuery{ProjectID: "proj-x"})
			require.NoError(t, err)
			require.Len(t, tasks, 2)
			got, err := tx.GetTask(task.ID)
			require.NoError(t, err)
			require.Equal(t, "proj-x", got.ProjectID)
		})
		// Moving the task to another project takes the conversation out.
		h.update(func(tx driver.Tx) {
			got, err := tx.GetTask(task.ID)
			require.NoError(t, err)
			got.ProjectID = "proj-z"
			require.NoError(t, tx.UpdateTask(&got))
		})
		h.view(func(tx driver.Tx) {
			page, err := tx.ListConversations(inbox.ConversationQuery{ProjectID: "proj-z"})
			require.NoError(t, err)
			require.Equal(t, []string{byTask.ID, other.ID}, conversationIDs(page.Items))
		})
	})
	t.Run("SnoozeLeavesOpenWork", func(t *testing.T) {
		h := setup(t, newStore)
		c := h.conversation(func(c *inbox.Conversation) { c.Status = inbox.StatusOpen; c.Priority = inbox.PriorityHigh })
		open := func() []string {
			var ids []string
			h.view(func(tx driver.Tx) {
				page, err := tx.ListConversations(inbox.ConversationQuery{OpenWork: true, Sort: inbox.SortQueue})
				require.NoError(t, err)
				ids = conversationIDs(page.Items)
			})
			return ids
		}
		require.Equal(t, []string{c.ID}, open())
		h.update(func(tx driver.Tx) {
			got, err := tx.GetConversation(c.ID)
			require.NoError(t, err)
			got.SnoozedUntil = at(5 * time.Hour)
			require.NoError(t, tx.UpdateConversation(&got))
		})
		require.Empty(t, open())
		h.update(func(tx driver.Tx) {
			got, err := tx.GetConversation(c.ID)
			require.NoError(t, err)
			require.Equal(t, at(5*time.Hour), got.SnoozedUntil)
			require.Equal(t, inbox.PriorityHigh, got.Priority)
			got.SnoozedUntil = time.Time{}
			require.NoError(t, tx.UpdateConversation(&got))
		})
		require.Equal(t, []string{c.ID}, open())
	})
	t.Run("MatchesModelOnRandomInboxes", func(t *testing.T) { testListProperty(t, newStore) })
	t.Run("InvalidQueries", func(t *testing.T) {
		h := setup(t, newStore)
		h.conversation()
		h.view(func(tx driver.Tx) {
			for name, q := range map[string]inbox.ConversationQuery{
				"unknown sort":   {Sort: "alphabetical"},
				"negative limit": {Limit: -1},
				"garbage cursor": {Cursor: "%%%not-a-cursor%%%"},
			} {
				_, err := tx.ListConversations(q)
				require.ErrorIs(t, err, inbox.ErrInvalid, name)
			}
		})
	})
	t.Run("Limits", func(t *testing.T) {
		h := setup(t, newStore)
		h.update(func(tx driver.Tx) {
			for i := range 520 {
				c := newConversation(func(c *inbox.Conversation) { c.LastMessageAt = at(time.Duration(i) * time.Minute) })
				require.NoError(t, tx.CreateConversation(&c))
			}
		})
		h.view(func(tx driver.Tx) {
			for limit, want := range map[int]int{0: 50, 1: 1, 499: 499, 500: 500, 501: 500, 10_000: 500} {
				page, err := tx.ListConversations(inbox.ConversationQuery{Limit: limit})
				require.NoError(t, err)
				require.Len(t, page.Items, want, "limit %d", limit)
				require.NotEmpty(t, page.NextCursor, "limit %d leaves conversations", limit)
			}
			page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500})
			require.NoError(t, err)
			next, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500, Cursor: page.NextCursor})
			require.NoError(t, err)
			require.Len(t, next.Items, 20)
			require.Empty(t, next.NextCursor)
		})
	})
}
