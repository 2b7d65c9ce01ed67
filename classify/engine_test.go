package classify_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/classify"
	"github.com/inboxkit/inboxkit/classify/learn"
	"github.com/inboxkit/inboxkit/classify/rules"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// TestWithEngine runs the chain inside the engine: folders saved with the
// product's example rules file new mail at ingest, an invalid rule set is
// refused when saved, and an agent's move teaches the learner.
func TestWithEngine(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "Acme"}))
	ruleClassifier := rules.New(rules.Options{})
	learner := learn.New(learn.Options{})
	eng, err := inbox.New(inbox.Options{Store: store, Classifier: classify.Chain(ruleClassifier, learner)})
	require.NoError(t, err)
	defer eng.Close()
	agent := inbox.Change{Actor: "emp-1"}

	rdv, err := eng.SaveFolder(ctx, "acme", inbox.Folder{Name: "Rendez-vous", Position: 1, Rules: json.RawMessage(`{"any":[
		{"field":"subject","op":"contains","value":"RDV"},
		{"field":"body","op":"contains","value":"rendez-vous"}]}`)}, agent)
	require.NoError(t, err)
	support, err := eng.SaveFolder(ctx, "acme", inbox.Folder{Name: "Support", Position: 2, Rules: json.RawMessage(`{"all":[
		{"field":"sender_email","op":"equals","value":"support@client.com"},
		{"field":"body","op":"contains","value":"problème"}]}`)}, agent)
	require.NoError(t, err)
	other, err := eng.SaveFolder(ctx, "acme", inbox.Folder{Name: "Divers", Position: 3}, agent)
	require.NoError(t, err)

	_, err = eng.SaveFolder(ctx, "acme", inbox.Folder{Name: "Cassé", Rules: json.RawMessage(`{"any":[{"field":"subject","op":"containz","value":"x"}]}`)}, agent)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, `rules.any[0].op: unknown operator "containz"`)

	now := time.Now()
	res, err := eng.Ingest(ctx, "acme", []inbox.Inbound{
		{IntegrationID: "mail", Source: inbox.SourceEmail, ProviderID: "1", MessageID: "m1@x", From: inbox.Party{Email: "ana@exemple.fr"},
			Subject: "Demande de RDV", Text: "Bonjour, jeudi ?", SentAt: now},
		{IntegrationID: "mail", Source: inbox.SourceEmail, ProviderID: "2", MessageID: "m2@x", From: inbox.Party{Email: "Support@Client.com"},
			Subject: "Incident", Text: "Nous avons un PROBLEME de connexion", SentAt: now},
		{IntegrationID: "mail", Source: inbox.SourceEmail, ProviderID: "3", MessageID: "m3@x", From: inbox.Party{Email: "bob@exemple.fr"},
			Subject: "Bonjour", Text: "Une question sur vos horaires", SentAt: now},
	})
	require.NoError(t, err)
	require.Len(t, res.Items, 3)

	conv := func(i int) inbox.Conversation {
		var c inbox.Conversation
		require.NoError(t, store.View(ctx, "acme", func(tx driver.Tx) error {
			var err error
			c, err = tx.GetConversation(res.Items[i].ConversationID)
			return err
		}))
		return c
	}
	require.Equal(t, rdv.ID, conv(0).FolderID)
	require.Equal(t, "rules", conv(0).Classification.By)
	require.Equal(t, `folder "Rendez-vous": subject contains "RDV"`, conv(0).Classification.Reason)
	require.Equal(t, support.ID, conv(1).FolderID)
	require.Empty(t, conv(2).FolderID, "no rule matched and the learner knows nothing yet")

	_, err = eng.Move(ctx, "acme", res.Items[2].ConversationID, other.ID, agent)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return learner.Stats("acme")[other.ID] == 1 }, 5*time.Second, 10*time.Millisecond,
		"the engine forwards the manual move through the chain to the learner")
}

// TestAsyncWithEngine: the AI never blocks ingest. The message is stored
// and left to the rest of the chain; when the AI answers, OnReady asks
// the engine to classify again and the AI's decision is applied, unless
// an agent filed the conversation meanwhile.
func TestAsyncWithEngine(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: "acme"}))
	answer := make(chan struct{})
	var folderID string
	slowAI := classify.Named("ai", inbox.ClassifierFunc(func(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
		select {
		case <-answer:
		case <-ctx.Done():
			return inbox.Decision{}, ctx.Err()
		}
		return inbox.Decision{FolderID: folderID, Intent: inbox.IntentOrder, Confidence: 0.9, Reason: "asks about an order"}, nil
	}))
	var eng *inbox.Engine
	reclassified := make(chan error, 4)
	async, err := classify.Async(slowAI, classify.AsyncOptions{OnReady: func(tenant inbox.TenantID, conv string) {
		_, err := eng.Classify(ctx, tenant, conv)
		reclassified <- err
	}})
	require.NoError(t, err)
	defer async.Close()
	eng, err = inbox.New(inbox.Options{Store: store, Classifier: classify.Chain(rules.New(rules.Options{}), async)})
	require.NoError(t, err)
	defer eng.Close()
	orders, err := eng.SaveFolder(ctx, "acme", inbox.Folder{Name: "Commandes", Description: "Suivi de commandes"}, inbox.Change{Actor: "emp-1"})
	require.NoError(t, err)
	folderID = orders.ID

	res, err := eng.Ingest(ctx, "acme", []inbox.Inbound{{IntegrationID: "sms", Source: inbox.SourceSMS, ProviderID: "1",
		From: inbox.Party{Phone: "+33612345678"}, Text: "slt ma cmd est ou?", SentAt: time.Now()}})
	require.NoError(t, err, "ingest returns while the AI is still thinking")
	convID := res.Items[0].ConversationID
	get := func() inbox.Conversation {
		var c inbox.Conversation
		require.NoError(t, store.View(ctx, "acme", func(tx driver.Tx) error {
			var err error
			c, err = tx.GetConversation(convID)
			return err
		}))
		return c
	}
	require.Empty(t, get().FolderID)

	close(answer)
	require.NoError(t, <-reclassified)
	c := get()
	require.Equal(t, orders.ID, c.FolderID)
	require.Equal(t, "ai", c.Classification.By)
	require.Equal(t, inbox.IntentOrder, c.Intent)
}
