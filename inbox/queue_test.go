package inbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// namedEmployees is a directory that knows display names.
type namedEmployees map[string]string

func (e namedEmployees) EmployeeExists(_ context.Context, _ inbox.TenantID, id string) (bool, error) {
	_, ok := e[id]
	return ok, nil
}

func (e namedEmployees) EmployeeName(_ context.Context, _ inbox.TenantID, id string) (string, bool) {
	n, ok := e[id]
	return n, ok
}

func (e *env) openWork() []string {
	e.t.Helper()
	page, err := e.engine.Conversations(e.ctx, tenantA, inbox.ConversationQuery{OpenWork: true, Sort: inbox.SortQueue})
	require.NoError(e.t, err)
	ids := make([]string, len(page.Items))
	for i, c := range page.Items {
		ids[i] = c.ID
	}
	return ids
}

func (e *env) notifications(user string) []inbox.Notification {
	e.t.Helper()
	list, err := e.engine.Notifications(e.ctx, tenantA, inbox.NotificationQuery{UserID: user})
	require.NoError(e.t, err)
	return list
}

func TestWorkQueueOrdersOpenWorkByPriorityThenWaitingTime(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	first := e.ingest(sms("s1", "+33600000001", "Bonjour")).Items[0].ConversationID
	e.clock.Advance(time.Minute)
	second := e.ingest(sms("s2", "+33600000002", "Ma commande ?")).Items[0].ConversationID
	e.clock.Advance(time.Minute)
	third := e.ingest(sms("s3", "+33600000003", "Facture")).Items[0].ConversationID
	e.clock.Advance(time.Minute)
	done := e.ingest(sms("s4", "+33600000004", "Merci")).Items[0].ConversationID

	// the longest waiting first when priorities are equal
	require.Equal(t, []string{first, second, third, done}, e.openWork())

	ana := inbox.Change{Actor: "ana"}
	_, err := e.engine.SetPriority(e.ctx, tenantA, third, inbox.PriorityHigh, ana)
	require.NoError(t, err)
	_, err = e.engine.SetPriority(e.ctx, tenantA, first, inbox.PriorityLow, ana)
	require.NoError(t, err)
	_, err = e.engine.SetStatus(e.ctx, tenantA, second, inbox.StatusUrgent, ana)
	require.NoError(t, err)
	_, err = e.engine.SetStatus(e.ctx, tenantA, done, inbox.StatusResolved, ana)
	require.NoError(t, err)
	require.Equal(t, []string{second, third, first}, e.openWork(), "urgent, high, low; resolved is not open work")

	_, err = e.engine.SetPriority(e.ctx, tenantA, first, "asap", ana)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, "urgent, high, normal, low")

	// the next conversation after handling the urgent one is the high one
	next, err := e.engine.Next(e.ctx, tenantA, inbox.ConversationQuery{Sort: inbox.SortQueue}, second)
	require.NoError(t, err)
	require.Equal(t, third, next.ID)
	_, err = e.engine.Next(e.ctx, tenantA, inbox.ConversationQuery{Sort: inbox.SortQueue, ContactID: e.conversation(first).ContactID}, first)
	require.ErrorIs(t, err, inbox.ErrNotFound)
}

func TestClassifierUrgencyRaisesPriority(t *testing.T) {
	e := newEnv(t, inbox.Options{Classifier: inbox.ClassifierFunc(func(_ context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
		if in.Message.Text == "Panne totale" {
			return inbox.Decision{Urgency: inbox.UrgencyHigh, By: "rules"}, nil
		}
		return inbox.Decision{Urgency: inbox.UrgencyLow, By: "rules"}, nil
	})})
	calm := e.ingest(sms("s1", "+33600000001", "Quand ouvrez-vous ?")).Items[0].ConversationID
	e.clock.Advance(time.Minute)
	broken := e.ingest(sms("s2", "+33600000002", "Panne totale")).Items[0].ConversationID
	e.work()
	require.Equal(t, inbox.PriorityHigh, e.conversation(broken).Priority)
	require.Equal(t, inbox.PriorityLow, e.conversation(calm).Priority)
	require.Equal(t, []string{broken, calm}, e.openWork())
}

func TestSnoozeHidesUntilTheTimeThenNotifies(t *testing.T) {
	e := newEnv(t, inbox.Options{Employees: namedEmployees{"ana": "Ana Dupont", "bob": "Bob Martin"}})
	id := e.ingest(sms("s1", "+33600000001", "Rappelez-moi demain matin svp")).Items[0].ConversationID
	other := e.ingest(sms("s2", "+33600000002", "Bonjour")).Items[0].ConversationID

	_, err := e.engine.Snooze(e.ctx, tenantA, id, e.clock.Now().Add(-time.Minute), inbox.Change{Actor: "ana"})
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, "not in the future")

	until := e.clock.Now().Add(20 * time.Hour)
	c, err := e.engine.Snooze(e.ctx, tenantA, id, until, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.Equal(t, until, c.SnoozedUntil)
	require.Equal(t, []string{other}, e.openWork(), "snoozed work leaves the queue")

	woke := make(chan inbox.Event, 10)
	e.engine.Subscribe(func(ev inbox.Event) {
		if ev.Detail == "snooze.woke" {
			woke <- ev
		}
	})
	e.work()
	require.Equal(t, []string{other}, e.openWork(), "not before its time")

	e.clock.Advance(20*time.Hour + time.Second)
	e.work()
	require.ElementsMatch(t, []string{id, other}, e.openWork(), "back in the queue")
	require.True(t, e.conversation(id).SnoozedUntil.IsZero())
	ev := <-woke
	require.Equal(t, inbox.EventConversationUpdated, ev.Type)
	require.Equal(t, id, ev.ConversationID)
	notes := e.notifications("ana")
	require.Len(t, notes, 1)
	require.Equal(t, "snooze", notes[0].Kind)
	require.Equal(t, "Snoozed conversation is back: “Rappelez-moi demain matin svp”", notes[0].Text)

	// a customer message wakes a snoozed conversation at once
	_, err = e.engine.Snooze(e.ctx, tenantA, other, e.clock.Now().Add(time.Hour), inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.Equal(t, []string{id}, e.openWork())
	e.ingest(sms("s3", "+33600000002", "Vous êtes là ?"))
	require.ElementsMatch(t, []string{id, other}, e.openWork())

	// closed conversations cannot be snoozed
	_, err = e.engine.SetStatus(e.ctx, tenantA, id, inbox.StatusResolved, inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	_, err = e.engine.Snooze(e.ctx, tenantA, id, e.clock.Now().Add(time.Hour), inbox.Change{Actor: "ana"})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

func TestSnoozeWakeSurvivesARestart(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	id := e.ingest(sms("s1", "+33600000001", "Plus tard")).Items[0].ConversationID
	_, err := e.engine.Snooze(e.ctx, tenantA, id, e.clock.Now().Add(time.Hour), inbox.Change{Actor: "ana"})
	require.NoError(t, err)
	require.NoError(t, e.engine.Close())

	// a new engine on the same store wakes it
	eng, err := inbox.New(inbox.Options{Store: e.store, Clock: e.clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	e.clock.Advance(2 * time.Hour)
	_, err = eng.DoWork(e.ctx, tenantA)
	require.NoError(t, err)
	require.True(t, e.conversation(id).SnoozedUntil.IsZero())
	require.Equal(t, []string{id}, e.openWork())
}

func TestNotificationTextsNameTheConversationAndThePerson(t *testing.T) {
	e := newEnv(t, inbox.Options{Employees: namedEmployees{"claire": "Claire Martin", "bob": "Bob Durand"}})
	smsConv := e.ingest(sms("s1", "+33600000001", "Bonjour, ma lampe ne s'allume plus depuis hier soir, que faire ?")).Items[0].ConversationID
	mail := e.ingest(email("m1", "ada@example.com", "Facture 2026-114", "Bonjour")).Items[0].ConversationID

	_, err := e.engine.AddNote(e.ctx, tenantA, smsConv, "@bob tu peux rappeler la cliente ? Elle est disponible après 14 h.", inbox.Change{Actor: "claire"})
	require.NoError(t, err)
	_, err = e.engine.AddNote(e.ctx, tenantA, mail, "@bob à vérifier", inbox.Change{Actor: "claire"})
	require.NoError(t, err)
	_, err = e.engine.Assign(e.ctx, tenantA, mail, "bob", inbox.Change{Actor: "claire"})
	require.NoError(t, err)

	var texts []string
	for _, n := range e.notifications("bob") {
		texts = append(texts, n.Text)
	}
	require.ElementsMatch(t, []string{
		"Claire Martin mentioned you in “Bonjour, ma lampe ne s'allume plus depuis hier soir, que…”: @bob tu peux rappeler la cliente ? Elle est disponible après 14 h.",
		"Claire Martin mentioned you in “Facture 2026-114”: @bob à vérifier",
		"Claire Martin assigned you “Facture 2026-114”",
	}, texts)

	moved, err := e.engine.Move(e.ctx, tenantA, mail, "", inbox.Change{Actor: "claire"})
	require.NoError(t, err)
	require.Equal(t, "moved by Claire Martin", moved.Classification.Reason)
}

func TestBulkChangesEachAndReportsRefusals(t *testing.T) {
	e := newEnv(t, inbox.Options{Employees: namedEmployees{"ana": "Ana", "bob": "Bob"}})
	var ids []string
	for i := range 5 {
		ids = append(ids, e.ingest(sms(fmt.Sprintf("s%d", i), fmt.Sprintf("+3360000000%d", i), "Bonjour")).Items[0].ConversationID)
	}
	ana := inbox.Change{Actor: "ana"}
	_, err := e.engine.SetStatus(e.ctx, tenantA, ids[4], inbox.StatusSpam, ana)
	require.NoError(t, err)

	res, err := e.engine.Bulk(e.ctx, tenantA, inbox.BulkRequest{Action: inbox.BulkResolve, ConversationIDs: append([]string{"missing"}, ids...)}, ana)
	require.NoError(t, err)
	require.Len(t, res, 6)
	require.ErrorIs(t, res[0].Err, inbox.ErrNotFound)
	for _, r := range res[1:5] {
		require.NoError(t, r.Err)
		require.Equal(t, inbox.StatusResolved, r.Conversation.Status)
	}
	require.ErrorIs(t, res[5].Err, inbox.ErrInvalid, "spam cannot be resolved")
	require.Empty(t, e.openWork())

	res, err = e.engine.Bulk(e.ctx, tenantA, inbox.BulkRequest{Action: inbox.BulkAssign, Assignee: "bob", ConversationIDs: ids[:2]}, ana)
	require.NoError(t, err)
	for _, r := range res {
		require.NoError(t, r.Err)
		require.Equal(t, "bob", e.conversation(r.ConversationID).Assignee)
	}
	// every change is audited on its conversation
	audit, err := e.engine.Audit(e.ctx, tenantA, inbox.AuditQuery{ConversationID: ids[1]})
	require.NoError(t, err)
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	require.Contains(t, actions, "conversation.status")
	require.Contains(t, actions, "conversation.assign")

	for name, req := range map[string]inbox.BulkRequest{
		"no ids":         {Action: inbox.BulkResolve},
		"unknown action": {Action: "explode", ConversationIDs: ids},
		"repeated id":    {Action: inbox.BulkResolve, ConversationIDs: []string{ids[0], ids[0]}},
		"too many":       {Action: inbox.BulkResolve, ConversationIDs: make([]string, inbox.MaxBulk+1)},
		"unknown person": {Action: inbox.BulkAssign, Assignee: "zoe", ConversationIDs: ids},
		"snooze no time": {Action: inbox.BulkSnooze, ConversationIDs: ids},
	} {
		_, err := e.engine.Bulk(e.ctx, tenantA, req, ana)
		require.ErrorIs(t, err, inbox.ErrInvalid, name)
	}
}
