package inbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

type employees map[string]bool

func (e employees) EmployeeExists(_ context.Context, _ inbox.TenantID, id string) (bool, error) {
	return e[id], nil
}

func TestStatusTransitionsAndVersions(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	id := e.ingest(sms("s1", "+33600000001", "Bonjour")).Items[0].ConversationID
	c := e.conversation(id)

	c2, err := e.engine.SetStatus(e.ctx, tenantA, id, inbox.StatusOpen, inbox.Change{Actor: "ana", Version: c.Version})
	require.NoError(t, err)
	require.Equal(t, inbox.StatusOpen, c2.Status)

	// an agent acting on the version they saw before loses, nothing changes
	_, err = e.engine.SetStatus(e.ctx, tenantA, id, inbox.StatusResolved, inbox.Change{Actor: "bob", Version: c.Version})
	require.ErrorIs(t, err, inbox.ErrConflict)
	require.Equal(t, inbox.StatusOpen, e.conversation(id).Status)

	_, err = e.engine.SetStatus(e.ctx, tenantA, id, "closed", inbox.Change{Actor: "ana"})
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, `"closed"`)

	_, err = e.engine.SetStatus(e.ctx, tenantA, id, inbox.StatusArchived, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	_, err = e.engine.SetStatus(e.ctx, tenantA, id, inbox.StatusSpam, inbox.Change{Actor: "ana"})
	require.ErrorIs(t, err, inbox.ErrInvalid, "archived → spam is not a transition")
	_, err = e.engine.SetStatus(e.ctx, tenantA, id, inbox.StatusOpen, inbox.Change{Actor: "ana"})
	require.NoError(t, err, "reopen")

	_, err = e.engine.SetStatus(e.ctx, tenantA, id, inbox.StatusOpen, inbox.Change{})
	require.ErrorIs(t, err, inbox.ErrInvalid, "an actor is required")
	_, err = e.engine.SetStatus(e.ctx, tenantA, "nope", inbox.StatusOpen, inbox.Change{Actor: "ana"})
	require.ErrorIs(t, err, inbox.ErrNotFound)

	var audit []inbox.AuditEntry
	e.update(func(tx driver.Tx) error {
		var err error
		audit, err = tx.ListAudit(inbox.AuditQuery{ConversationID: id})
		return err
	})
	var statusChanges int
	for _, a := range audit {
		if a.Action == "conversation.status" {
			statusChanges++
			require.Equal(t, "ana", a.Actor)
			require.Contains(t, string(a.Before), `"status"`)
		}
	}
	require.Equal(t, 3, statusChanges, "each applied change is audited, refused ones are not")
}

func TestAssignNotesAndMentions(t *testing.T) {
	e := newEnv(t, inbox.Options{Employees: employees{"ana": true, "bob": true}})
	id := e.ingest(sms("s1", "+33600000001", "Bonjour")).Items[0].ConversationID

	_, err := e.engine.Assign(e.ctx, tenantA, id, "zoe", inbox.Change{Actor: "ana"})
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, `"zoe"`)
	c, err := e.engine.Assign(e.ctx, tenantA, id, "bob", inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.Equal(t, "bob", c.Assignee)

	note, err := e.engine.AddNote(e.ctx, tenantA, id, "@bob peux-tu rappeler ? (copie à ana@example.com et @zoe)", inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.Equal(t, []string{"bob"}, note.Mentions, "only known employees; emails are not mentions")
	_, err = e.engine.AddNote(e.ctx, tenantA, id, "   ", inbox.Change{Actor: "ana"})
	require.ErrorIs(t, err, inbox.ErrInvalid)

	var notes []inbox.Notification
	e.update(func(tx driver.Tx) error {
		var err error
		notes, err = tx.ListNotifications(inbox.NotificationQuery{UserID: "bob"})
		return err
	})
	kinds := map[string]bool{}
	for _, n := range notes {
		kinds[n.Kind] = true
	}
	require.True(t, kinds["assigned"] && kinds["mention"], "%v", kinds)
	// notes never reach the customer: no outbound message exists
	for _, m := range e.messages(id) {
		require.Equal(t, inbox.DirectionIn, m.Direction)
	}
}

func TestManualMoveIsNeverOverridden(t *testing.T) {
	var folderID string
	calls := 0
	e := newEnv(t, inbox.Options{Classifier: inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
		calls++
		return inbox.Decision{FolderID: folderID, Intent: inbox.IntentOrder, By: "rules", Reason: "subject contains commande"}, nil
	})})
	orders := e.folder("Commandes", inbox.AutoReplyOff)
	support := e.folder("Support", inbox.AutoReplyOff)
	folderID = orders.ID

	id := e.ingest(email("m1", "a@x.example", "Ma commande", "où ?")).Items[0].ConversationID
	c := e.conversation(id)
	require.Equal(t, orders.ID, c.FolderID)
	require.Equal(t, "rules", c.Classification.By)
	require.Equal(t, inbox.IntentOrder, c.Intent)

	_, err := e.engine.Move(e.ctx, tenantA, id, support.ID, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	_, err = e.engine.Move(e.ctx, tenantA, id, "no-such-folder", inbox.Change{Actor: "ana"})
	require.ErrorIs(t, err, inbox.ErrInvalid)

	m := email("m2", "a@x.example", "Re: Ma commande", "toujours rien")
	m.InReplyTo = "m1@mail.example"
	e.ingest(m)
	_, err = e.engine.Classify(e.ctx, tenantA, id)
	require.NoError(t, err)
	c = e.conversation(id)
	require.Equal(t, support.ID, c.FolderID, "the agent's move stands")
	require.Equal(t, inbox.DecidedByManual, c.Classification.By)
}

func TestMergeAndSplit(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	a := e.ingest(email("m1", "a@x.example", "Livraison 20931", "un")).Items[0].ConversationID
	b := e.ingest(email("m2", "a@x.example", "Commande 20931 toujours pas livrée", "deux")).Items[0].ConversationID
	require.NotEqual(t, a, b)

	merged, err := e.engine.Merge(e.ctx, tenantA, a, b, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.Equal(t, 2, merged.MessageCount)
	require.Equal(t, 2, merged.Unread)
	src := e.conversation(b)
	require.Equal(t, inbox.StatusArchived, src.Status)
	require.Equal(t, a, src.ExternalRefs["merged_into"])

	// a reply to the moved message now threads into the merged conversation
	r := email("m3", "a@x.example", "Re: Commande", "trois")
	r.InReplyTo = "m2@mail.example"
	require.Equal(t, a, e.ingest(r).Items[0].ConversationID)

	msgs := e.messages(a)
	split, err := e.engine.Split(e.ctx, tenantA, msgs[1].ID, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.Equal(t, 1, split.MessageCount)
	require.Equal(t, 2, e.conversation(a).MessageCount)
}

func TestFollowUpsAndTasks(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	id := e.ingest(email("m1", "julien@x.example", "Demande de RDV showroom", "Je voudrais prendre RDV")).Items[0].ConversationID

	_, err := e.engine.ScheduleFollowUp(e.ctx, tenantA, id, inbox.FollowUpRequest{DueAt: e.clock.Now().Add(-time.Minute)}, inbox.Change{Actor: "ana"})
	require.ErrorIs(t, err, inbox.ErrInvalid)

	auto, err := e.engine.ScheduleFollowUp(e.ctx, tenantA, id, inbox.FollowUpRequest{DueAt: e.clock.Now().Add(72 * time.Hour), IfNoReply: true, Note: "relancer"}, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	manual, err := e.engine.ScheduleFollowUp(e.ctx, tenantA, id, inbox.FollowUpRequest{DueAt: e.clock.Now().Add(48 * time.Hour), Assignee: "ana"}, inbox.Change{Actor: "ana"})
	require.NoError(t, err)

	// the customer answers: the "if no reply" follow-up is cancelled
	r := email("m2", "julien@x.example", "Re: Demande de RDV showroom", "Jeudi 14h ?")
	r.InReplyTo = "m1@mail.example"
	e.ingest(r)

	e.clock.Advance(100 * time.Hour)
	n, err := e.engine.RaiseDueFollowUps(e.ctx, tenantA)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	e.update(func(tx driver.Tx) error {
		got, err := tx.GetFollowUp(auto.ID)
		require.NoError(t, err)
		require.Equal(t, inbox.FollowUpCancelled, got.Status)
		got, err = tx.GetFollowUp(manual.ID)
		require.NoError(t, err)
		require.Equal(t, inbox.FollowUpDue, got.Status)
		return nil
	})

	task, err := e.engine.CreateTask(e.ctx, tenantA, id, inbox.TaskRequest{Title: "Préparer le devis", Assignee: "ana"}, inbox.Change{Actor: "bob"})
	require.NoError(t, err)
	done, err := e.engine.CompleteTask(e.ctx, tenantA, task.ID, true, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.False(t, done.DoneAt.IsZero())
	_, err = e.engine.CreateTask(e.ctx, tenantA, id, inbox.TaskRequest{Title: " "}, inbox.Change{Actor: "bob"})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

func TestMarkReadUnread(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	res := e.ingest(sms("s1", "+33600000001", "un"), sms("s2", "+33600000001", "deux"))
	id := res.Items[0].ConversationID
	require.Equal(t, 2, e.conversation(id).Unread)
	c, err := e.engine.MarkRead(e.ctx, tenantA, id, true, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.Zero(t, c.Unread)
	c, err = e.engine.MarkRead(e.ctx, tenantA, id, false, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.Equal(t, 1, c.Unread)
}
