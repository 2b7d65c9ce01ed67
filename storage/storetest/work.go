package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func testNotes(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, entity[inbox.Note]{
		full: func(h *harness) inbox.Note {
			return inbox.Note{ConversationID: h.conversation().ID, Author: "emp-1", Body: "Rappeler Élodie @emp-2",
				Mentions: []string{"emp-2", "emp-3"}, CreatedAt: t0.In(paris)}
		},
		minimal:   func(h *harness) inbox.Note { return inbox.Note{ConversationID: h.conversation().ID} },
		create:    func(tx driver.Tx, v *inbox.Note) error { return tx.CreateNote(v) },
		get:       getNote,
		id:        func(v *inbox.Note) *string { return &v.ID },
		tenant:    func(v *inbox.Note) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.Note) *time.Time { return &v.CreatedAt },
	})
	t.Run("ListOrderedAndUnknownConversation", func(t *testing.T) {
		h := setup(t, newStore)
		conv, other := h.conversation(), h.conversation()
		var want []string
		h.update(func(tx driver.Tx) {
			for _, d := range []time.Duration{2 * time.Minute, 0, time.Minute, time.Minute} {
				n := inbox.Note{ConversationID: conv.ID, Body: "n", CreatedAt: at(d)}
				require.NoError(t, tx.CreateNote(&n))
				want = append(want, n.ID)
			}
			n := inbox.Note{ConversationID: other.ID, Body: "elsewhere"}
			require.NoError(t, tx.CreateNote(&n))
			bad := inbox.Note{ConversationID: "no-such-conversation"}
			require.ErrorIs(t, tx.CreateNote(&bad), inbox.ErrNotFound)
		})
		want = []string{want[1], min(want[2], want[3]), max(want[2], want[3]), want[0]}
		h.view(func(tx driver.Tx) {
			list, err := tx.ListNotes(conv.ID)
			require.NoError(t, err)
			var got []string
			for _, n := range list {
				got = append(got, n.ID)
			}
			require.Equal(t, want, got)
			_, err = tx.ListNotes("no-such-conversation")
			require.ErrorIs(t, err, inbox.ErrNotFound)
		})
	})
}

// getNote finds a note by id through ListNotes of every conversation, as
// notes have no Get method.
func getNote(tx driver.Tx, id string) (inbox.Note, error) {
	var cursor string
	for range 1000 {
		page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500, Cursor: cursor})
		if err != nil {
			return inbox.Note{}, err
		}
		for _, c := range page.Items {
			notes, err := tx.ListNotes(c.ID)
			if err != nil {
				return inbox.Note{}, err
			}
			for _, n := range notes {
				if n.ID == id {
					return n, nil
				}
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	return inbox.Note{}, inbox.ErrNotFound
}

func testTasks(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, entity[inbox.Task]{
		full: func(h *harness) inbox.Task {
			return inbox.Task{ConversationID: h.conversation().ID, Title: "Renvoyer la lampe", Assignee: "emp-2",
				DueAt: at(24 * time.Hour).In(paris), DoneAt: at(time.Hour).In(paris), CreatedBy: "emp-1", CreatedAt: t0.In(paris)}
		},
		minimal: func(*harness) inbox.Task { return inbox.Task{Title: "standalone"} },
		create:  func(tx driver.Tx, v *inbox.Task) error { return tx.CreateTask(v) },
		get:     func(tx driver.Tx, id string) (inbox.Task, error) { return tx.GetTask(id) },
		update:  func(tx driver.Tx, v *inbox.Task) error { return tx.UpdateTask(v) },
		change: func(v *inbox.Task) {
			v.Title, v.Assignee, v.DueAt, v.DoneAt = "Rembourser", "emp-3", time.Time{}, at(2*time.Hour)
		},
		id:        func(v *inbox.Task) *string { return &v.ID },
		tenant:    func(v *inbox.Task) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.Task) *time.Time { return &v.CreatedAt },
		version:   func(v *inbox.Task) *int64 { return &v.Version },
	})
	t.Run("ListFilters", func(t *testing.T) {
		h := setup(t, newStore)
		conv, other := h.conversation(), h.conversation()
		ids := map[string]string{}
		h.update(func(tx driver.Tx) {
			for _, spec := range []struct {
				name, conv, assignee string
				done                 bool
				created              time.Duration
			}{
				{"a", conv.ID, "emp-1", false, 3 * time.Minute},
				{"b", conv.ID, "emp-2", true, time.Minute},
				{"c", other.ID, "emp-1", false, 2 * time.Minute},
				{"d", "", "emp-1", true, 0},
			} {
				task := inbox.Task{ConversationID: spec.conv, Title: spec.name, Assignee: spec.assignee, CreatedAt: at(spec.created)}
				if spec.done {
					task.DoneAt = at(time.Hour)
				}
				require.NoError(t, tx.CreateTask(&task))
				ids[task.ID] = spec.name
			}
			bad := inbox.Task{ConversationID: "no-such-conversation"}
			require.ErrorIs(t, tx.CreateTask(&bad), inbox.ErrNotFound)
		})
		h.view(func(tx driver.Tx) {
			for _, tc := range []struct {
				q    inbox.TaskQuery
				want []string
			}{
				{inbox.TaskQuery{}, []string{"d", "b", "c", "a"}},
				{inbox.TaskQuery{ConversationID: conv.ID}, []string{"b", "a"}},
				{inbox.TaskQuery{Assignee: "emp-1"}, []string{"d", "c", "a"}},
				{inbox.TaskQuery{OpenOnly: true}, []string{"c", "a"}},
				{inbox.TaskQuery{Assignee: "emp-1", OpenOnly: true, ConversationID: other.ID}, []string{"c"}},
				{inbox.TaskQuery{Assignee: "nobody"}, nil},
			} {
				list, err := tx.ListTasks(tc.q)
				require.NoError(t, err)
				var got []string
				for _, task := range list {
					got = append(got, ids[task.ID])
				}
				require.Equal(t, tc.want, got, "%+v", tc.q)
			}
		})
	})
}

func testFollowUps(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, entity[inbox.FollowUp]{
		full: func(h *harness) inbox.FollowUp {
			return inbox.FollowUp{ConversationID: h.conversation().ID, DueAt: at(72 * time.Hour).In(paris), Note: "Relancer",
				Assignee: "emp-1", IfNoReply: true, Status: inbox.FollowUpPending, CreatedBy: "emp-2",
				CreatedAt: t0.In(paris), UpdatedAt: at(time.Minute).In(paris)}
		},
		minimal: func(h *harness) inbox.FollowUp { return inbox.FollowUp{ConversationID: h.conversation().ID} },
		create:  func(tx driver.Tx, v *inbox.FollowUp) error { return tx.CreateFollowUp(v) },
		get:     func(tx driver.Tx, id string) (inbox.FollowUp, error) { return tx.GetFollowUp(id) },
		update:  func(tx driver.Tx, v *inbox.FollowUp) error { return tx.UpdateFollowUp(v) },
		change: func(v *inbox.FollowUp) {
			v.Status, v.DueAt, v.IfNoReply, v.Note, v.UpdatedAt = inbox.FollowUpCancelled, at(time.Hour), false, "", at(time.Hour)
		},
		id:        func(v *inbox.FollowUp) *string { return &v.ID },
		tenant:    func(v *inbox.FollowUp) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.FollowUp) *time.Time { return &v.CreatedAt },
		version:   func(v *inbox.FollowUp) *int64 { return &v.Version },
	})
	t.Run("ListFiltersAndDueOrder", func(t *testing.T) {
		h := setup(t, newStore)
		conv, other := h.conversation(), h.conversation()
		ids := map[string]string{}
		h.update(func(tx driver.Tx) {
			for _, spec := range []struct {
				name, conv string
				status     inbox.FollowUpStatus
				due        time.Duration
			}{
				{"a", conv.ID, inbox.FollowUpPending, 3 * time.Hour},
				{"b", conv.ID, inbox.FollowUpDone, time.Hour},
				{"c", other.ID, inbox.FollowUpPending, 2 * time.Hour},
				{"d", other.ID, inbox.FollowUpPending, time.Hour},
			} {
				fu := inbox.FollowUp{ConversationID: spec.conv, Status: spec.status, DueAt: at(spec.due), Note: spec.name}
				require.NoError(t, tx.CreateFollowUp(&fu))
				ids[fu.ID] = spec.name
			}
			bad := inbox.FollowUp{ConversationID: "no-such-conversation"}
			require.ErrorIs(t, tx.CreateFollowUp(&bad), inbox.ErrNotFound)
		})
		bd := []string{"b", "d"}
		h.view(func(tx driver.Tx) {
			list, err := tx.ListFollowUps(inbox.FollowUpQuery{})
			require.NoError(t, err)
			require.Len(t, list, 4)
			if list[0].ID > list[1].ID {
				bd = []string{"d", "b"}
			}
			for _, tc := range []struct {
				q    inbox.FollowUpQuery
				want []string
			}{
				{inbox.FollowUpQuery{}, []string{bd[0], bd[1], "c", "a"}},
				{inbox.FollowUpQuery{ConversationID: conv.ID}, []string{"b", "a"}},
				{inbox.FollowUpQuery{Status: inbox.FollowUpPending}, []string{"d", "c", "a"}},
				{inbox.FollowUpQuery{Status: inbox.FollowUpPending, DueBefore: at(2 * time.Hour)}, []string{"d"}},
				{inbox.FollowUpQuery{DueBefore: at(2*time.Hour + time.Microsecond)}, []string{bd[0], bd[1], "c"}},
				{inbox.FollowUpQuery{Status: inbox.FollowUpCancelled}, nil},
				{inbox.FollowUpQuery{ConversationIDs: []string{other.ID, "no-such-conversation"}, Status: inbox.FollowUpPending}, []string{"d", "c"}},
				{inbox.FollowUpQuery{ConversationIDs: []string{conv.ID, other.ID, conv.ID}}, []string{bd[0], bd[1], "c", "a"}},
				{inbox.FollowUpQuery{ConversationIDs: []string{conv.ID}, ConversationID: other.ID}, nil},
			} {
				list, err := tx.ListFollowUps(tc.q)
				require.NoError(t, err)
				var got []string
				for _, fu := range list {
					got = append(got, ids[fu.ID])
				}
				require.Equal(t, tc.want, got, "%+v", tc.q)
			}
		})
	})
}

func testDrafts(t *testing.T, newStore NewStoreFunc) {
	checkEntity(t, newStore, entity[inbox.Draft]{
		full: func(h *harness) inbox.Draft {
			return inbox.Draft{ConversationID: h.conversation().ID, InReplyTo: "msg-1", Text: "Bonjour Élodie,",
				Status: inbox.DraftRejected, Confidence: 0.625,
				Citations: []inbox.Citation{{DocumentID: "doc-1", ChunkID: "c-3", Title: "Retours", Excerpt: "30 jours", Score: 0.91},
					{DocumentID: "doc-2"}},
				Error: "tone", DecidedBy: "emp-1", MessageID: "msg-2", CreatedAt: t0.In(paris), UpdatedAt: at(time.Minute).In(paris)}
		},
		minimal: func(h *harness) inbox.Draft { return inbox.Draft{ConversationID: h.conversation().ID} },
		create:  func(tx driver.Tx, v *inbox.Draft) error { return tx.CreateDraft(v) },
		get:     func(tx driver.Tx, id string) (inbox.Draft, error) { return tx.GetDraft(id) },
		update:  func(tx driver.Tx, v *inbox.Draft) error { return tx.UpdateDraft(v) },
		change: func(v *inbox.Draft) {
			v.Status, v.Text, v.Citations, v.Error, v.UpdatedAt = inbox.DraftApproved, "Bonjour,", nil, "", at(time.Hour)
		},
		id:        func(v *inbox.Draft) *string { return &v.ID },
		tenant:    func(v *inbox.Draft) *inbox.TenantID { return &v.TenantID },
		createdAt: func(v *inbox.Draft) *time.Time { return &v.CreatedAt },
		version:   func(v *inbox.Draft) *int64 { return &v.Version },
	})
	t.Run("ListFilters", func(t *testing.T) {
		h := setup(t, newStore)
		conv, other := h.conversation(), h.conversation()
		ids := map[string]string{}
		h.update(func(tx driver.Tx) {
			for i, spec := range []struct {
				name, conv string
				status     inbox.DraftStatus
			}{
				{"a", conv.ID, inbox.DraftPending},
				{"b", conv.ID, inbox.DraftApproved},
				{"c", other.ID, inbox.DraftPending},
			} {
				d := inbox.Draft{ConversationID: spec.conv, Status: spec.status, Text: spec.name, CreatedAt: at(-time.Duration(i) * time.Minute)}
				require.NoError(t, tx.CreateDraft(&d))
				ids[d.ID] = spec.name
			}
			bad := inbox.Draft{ConversationID: "no-such-conversation"}
			require.ErrorIs(t, tx.CreateDraft(&bad), inbox.ErrNotFound)
		})
		h.view(func(tx driver.Tx) {
			for _, tc := range []struct {
				q    inbox.DraftQuery
				want []string
			}{
				{inbox.DraftQuery{}, []string{"c", "b", "a"}},
				{inbox.DraftQuery{ConversationID: conv.ID}, []string{"b", "a"}},
				{inbox.DraftQuery{Status: inbox.DraftPending}, []string{"c", "a"}},
				{inbox.DraftQuery{Status: inbox.DraftPending, ConversationID: conv.ID}, []string{"a"}},
				{inbox.DraftQuery{Status: inbox.DraftFailed}, nil},
			} {
				list, err := tx.ListDrafts(tc.q)
				require.NoError(t, err)
				var got []string
				for _, d := range list {
					got = append(got, ids[d.ID])
				}
				require.Equal(t, tc.want, got, "%+v", tc.q)
			}
		})
	})
}
