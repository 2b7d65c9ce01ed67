package inbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// keywordRules is a tiny rule classifier for tests: a folder's Rules are
// {"contains": "word"}; it validates rules and learns nothing.
type keywordRules struct{ learned []string }

func (k *keywordRules) Classify(_ context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
	for _, f := range in.Folders {
		var r struct{ Contains string }
		if json.Unmarshal(f.Rules, &r) == nil && r.Contains != "" &&
			strings.Contains(strings.ToLower(in.Message.Subject+" "+in.Message.Text), r.Contains) {
			return inbox.Decision{FolderID: f.ID, By: "rules", Reason: "contains " + r.Contains}, nil
		}
	}
	return inbox.Decision{}, nil
}

func (k *keywordRules) ValidateRules(raw json.RawMessage) error {
	var r struct{ Contains string }
	if err := json.Unmarshal(raw, &r); err != nil || r.Contains == "" {
		return inbox.Invalid("rules.contains", "must be a non-empty word")
	}
	return nil
}

func (k *keywordRules) Learn(_ inbox.TenantID, in inbox.ClassifyInput, folderID string) {
	k.learned = append(k.learned, folderID+":"+in.Message.Subject)
}

func TestSaveFolderValidatesAndReclassifies(t *testing.T) {
	rules := &keywordRules{}
	e := newEnv(t, inbox.Options{Classifier: rules})
	actor := inbox.Change{Actor: "admin"}

	_, err := e.engine.SaveFolder(e.ctx, tenantA, inbox.Folder{Name: "Rendez-vous", Rules: json.RawMessage(`{"contains": ""}`)}, actor)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, "rules.contains")

	_, err = e.engine.SaveFolder(e.ctx, tenantA, inbox.Folder{Name: "Auto", AutoReply: inbox.AutoReplySettings{Mode: inbox.AutoReplyAuto}}, actor)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, "reply prompt")

	rdv, err := e.engine.SaveFolder(e.ctx, tenantA, inbox.Folder{Name: "Rendez-vous", Rules: json.RawMessage(`{"contains": "rdv"}`)}, actor)
	require.NoError(t, err)

	var ids []string
	for i := range 6 {
		subject := fmt.Sprintf("Commande %d", i)
		if i%2 == 0 {
			subject = fmt.Sprintf("RDV showroom %d", i)
		}
		ids = append(ids, e.ingest(email(fmt.Sprintf("m%d", i), fmt.Sprintf("c%d@x.example", i), subject, "bonjour")).Items[0].ConversationID)
	}
	require.Equal(t, rdv.ID, e.conversation(ids[0]).FolderID)
	require.Empty(t, e.conversation(ids[1]).FolderID)

	// an agent files one order by hand: the learner hears of it
	orders, err := e.engine.SaveFolder(e.ctx, tenantA, inbox.Folder{Name: "Commandes"}, actor)
	require.NoError(t, err)
	_, err = e.engine.Move(e.ctx, tenantA, ids[1], orders.ID, actor)
	require.NoError(t, err)
	require.Equal(t, []string{orders.ID + ":Commande 1"}, rules.learned)

	// the rules change: orders are filed, the manual move stands
	orders.Rules = json.RawMessage(`{"contains": "commande"}`)
	orders, err = e.engine.SaveFolder(e.ctx, tenantA, orders, actor)
	require.NoError(t, err)
	rep, err := e.engine.Reclassify(e.ctx, tenantA, inbox.ReclassifyOptions{BatchSize: 2})
	require.NoError(t, err)
	require.Equal(t, 6, rep.Examined)
	require.Equal(t, 2, rep.Changed, "orders 3 and 5 filed; order 1 was filed by hand")
	require.Empty(t, rep.Cursor)
	for i, id := range ids {
		want := rdv.ID
		if i%2 == 1 {
			want = orders.ID
		}
		require.Equal(t, want, e.conversation(id).FolderID, i)
	}
	require.Equal(t, inbox.DecidedByManual, e.conversation(ids[1]).Classification.By)

	// a stale edit of a folder is refused
	stale := rdv
	stale.Name = "RDV"
	_, err = e.engine.SaveFolder(e.ctx, tenantA, stale, actor)
	require.NoError(t, err)
	stale.Name = "Rdv again"
	_, err = e.engine.SaveFolder(e.ctx, tenantA, stale, actor)
	require.ErrorIs(t, err, inbox.ErrConflict)
}

func TestUpdateSettingsGuardsAutoReply(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	actor := inbox.Change{Actor: "admin"}
	_, err := e.engine.UpdateSettings(e.ctx, tenantA, inbox.TenantSettings{TimeZone: "Mars/Olympus"}, actor)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	_, err = e.engine.UpdateSettings(e.ctx, tenantA, inbox.TenantSettings{ReplyPrompt: "Sois bref.", TimeZone: "Europe/Paris"}, actor)
	require.NoError(t, err)
	_, err = e.engine.SaveFolder(e.ctx, tenantA, inbox.Folder{Name: "Commandes", AutoReply: inbox.AutoReplySettings{Mode: inbox.AutoReplyApproval}}, actor)
	require.NoError(t, err)
	_, err = e.engine.UpdateSettings(e.ctx, tenantA, inbox.TenantSettings{}, actor)
	require.ErrorIs(t, err, inbox.ErrInvalid, "the prompt cannot be removed while a folder auto-replies")
}

// historyFree is a classifier that declares it never reads the history.
type historyFree struct{ inbox.ClassifierFunc }

func (historyFree) NeedsHistory() bool { return false }

func TestReclassifyLoadsHistoryOnlyWhenTheClassifierReadsIt(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	var ids []string
	for i := range 5 {
		ids = append(ids, e.ingest(email(fmt.Sprintf("h%d", i), fmt.Sprintf("h%d@x.example", i), fmt.Sprintf("Question %d", i), "bonjour")).Items[0].ConversationID)
	}
	seen := func(withHistory bool) map[string]string {
		got := map[string]string{}
		record := func(_ context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
			require.Equal(t, withHistory, len(in.History) > 0, "history given: %v", in.History)
			got[in.Conversation.ID] = in.Message.ID
			return inbox.Decision{}, nil
		}
		var c inbox.Classifier = inbox.ClassifierFunc(record)
		if !withHistory {
			c = historyFree{record}
		}
		rep, err := e.engine.Reclassify(e.ctx, tenantA, inbox.ReclassifyOptions{BatchSize: 2, Classifier: c})
		require.NoError(t, err)
		require.Equal(t, len(ids), rep.Examined)
		return got
	}
	full, opening := seen(true), seen(false)
	require.Len(t, full, len(ids))
	require.Equal(t, full, opening, "both see the same opening message")
}

// confirmingRules also records the automatic filings agents keep.
type confirmingRules struct {
	keywordRules
	confirmed []string
}

func (c *confirmingRules) Confirm(_ inbox.TenantID, in inbox.ClassifyInput, folderID string) {
	c.confirmed = append(c.confirmed, folderID+":"+in.Message.Text)
}

func TestKeptFilingsAreConfirmed(t *testing.T) {
	rules := &confirmingRules{}
	sender := &fakeSender{}
	e := newEnv(t, inbox.Options{Classifier: rules, Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceSMS: sender.factory()}})
	integ := e.integration(inbox.SourceSMS, map[string]string{"number": "33100000000"})
	in := func(id, phone, text string) string {
		m := sms(id, phone, text)
		m.IntegrationID = integ.ID
		return e.ingest(m).Items[0].ConversationID
	}
	actor := inbox.Change{Actor: "agent"}
	rdv, err := e.engine.SaveFolder(e.ctx, tenantA, inbox.Folder{Name: "Rendez-vous", Rules: json.RawMessage(`{"contains": "rdv"}`)}, actor)
	require.NoError(t, err)
	other, err := e.engine.SaveFolder(e.ctx, tenantA, inbox.Folder{Name: "Autres"}, actor)
	require.NoError(t, err)

	read := in("k1", "+33600000001", "RDV mardi")
	answered := in("k2", "+33600000002", "RDV jeudi")
	resolved := in("k3", "+33600000003", "RDV lundi")
	moved := in("k4", "+33600000004", "RDV samedi")
	unfiled := in("k5", "+33600000005", "Question")
	require.Equal(t, rdv.ID, e.conversation(read).FolderID)

	_, err = e.engine.MarkRead(e.ctx, tenantA, read, true, actor)
	require.NoError(t, err)
	_, err = e.engine.MarkRead(e.ctx, tenantA, read, false, actor)
	require.NoError(t, err, "marking unread confirms nothing")
	_, err = e.engine.Reply(e.ctx, tenantA, answered, inbox.ReplyRequest{Text: "Entendu."}, actor)
	require.NoError(t, err)
	_, err = e.engine.SetStatus(e.ctx, tenantA, resolved, inbox.StatusResolved, actor)
	require.NoError(t, err)
	// an agent's own filing and an unfiled conversation are not confirmations
	_, err = e.engine.Move(e.ctx, tenantA, moved, other.ID, actor)
	require.NoError(t, err)
	_, err = e.engine.MarkRead(e.ctx, tenantA, moved, true, actor)
	require.NoError(t, err)
	_, err = e.engine.MarkRead(e.ctx, tenantA, unfiled, true, actor)
	require.NoError(t, err)

	require.Equal(t, []string{rdv.ID + ":RDV mardi", rdv.ID + ":RDV jeudi", rdv.ID + ":RDV lundi"}, rules.confirmed)
	require.Equal(t, []string{other.ID + ":"}, rules.learned, "the move was learned, not confirmed")
}
