package classify_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/classify"
	"github.com/inboxkit/inboxkit/classify/rules"
	"github.com/inboxkit/inboxkit/inbox"
)

type labeller struct{ d inbox.Decision }

func (l labeller) Classify(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
	return l.d, nil
}
func (labeller) LabelsOnly() {}

type confirmer struct {
	inbox.Classifier
	confirmed []string
}

func (c *confirmer) Confirm(_ inbox.TenantID, _ inbox.ClassifyInput, folderID string) {
	c.confirmed = append(c.confirmed, folderID)
}

// A rule that only sets a status and tags (no_move) no longer ends the
// chain: the learner after it files, and both decisions are merged.
func TestChainMergesNoMoveRuleWithTheFilingDecision(t *testing.T) {
	ctx := context.Background()
	r := rules.New(rules.Options{})
	in := inbox.ClassifyInput{
		Tenant: inbox.Tenant{ID: "acme"},
		Folders: []inbox.Folder{
			{ID: "f-vip", Name: "VIP", Position: 1, Rules: json.RawMessage(`{"field":"sender_domain","op":"equals","value":"bigcorp.com",
				"actions":{"status":"urgent","tags":["vip"],"no_move":true}}`)},
			{ID: "f-orders", Name: "Commandes", Position: 2},
		},
		Message: inbox.Message{From: inbox.Party{Email: "ceo@bigcorp.com"}, Text: "Où est ma commande ?"},
	}
	learner := classify.Named("learner", fixed(inbox.Decision{FolderID: "f-orders", Intent: inbox.IntentOrder, Status: inbox.StatusNew, Confidence: 0.8, Reason: "like 12 orders"}, nil))
	d, err := classify.Chain(r, learner, classify.Fallback(inbox.Decision{FolderID: "f-other"})).Classify(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "f-orders", d.FolderID)
	require.Equal(t, "learner", d.By)
	require.Equal(t, inbox.StatusUrgent, d.Status, "the rule came first: its status wins")
	require.Equal(t, []string{"vip"}, d.Tags)
	require.Equal(t, inbox.IntentOrder, d.Intent)
	require.Equal(t, 0.8, d.Confidence)
	require.Contains(t, d.Reason, "like 12 orders")
	require.Contains(t, d.Reason, `folder "VIP"`)

	// Nobody files: the labels alone are returned.
	d, err = classify.Chain(r, fixed(inbox.Decision{}, nil)).Classify(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "", d.FolderID)
	require.Equal(t, inbox.StatusUrgent, d.Status)
	require.Equal(t, rules.By, d.By)
}

// A labeller runs even after the member that files, and fills only what
// that member left empty.
func TestChainRunsLabellersWhereverTheyStand(t *testing.T) {
	ctx := context.Background()
	intent := classify.Named("intent", labeller{inbox.Decision{Intent: "invoice", Urgency: inbox.UrgencyHigh, Reason: "intent invoice"}})
	_, isLabeller := intent.(classify.Labeller)
	require.True(t, isLabeller, "Named keeps Labeller")
	filer := fixed(inbox.Decision{FolderID: "billing", By: "learner", Urgency: inbox.UrgencyLow, Confidence: 0.9}, nil)
	d, err := classify.Chain(filer, intent).Classify(ctx, inbox.ClassifyInput{})
	require.NoError(t, err)
	require.Equal(t, "billing", d.FolderID)
	require.Equal(t, "learner", d.By)
	require.Equal(t, inbox.Intent("invoice"), d.Intent, "filled by the labeller")
	require.Equal(t, inbox.UrgencyLow, d.Urgency, "the filing member's own label wins")

	// A labeller before the filer does not end the chain either.
	d, err = classify.Chain(intent, filer).Classify(ctx, inbox.ClassifyInput{})
	require.NoError(t, err)
	require.Equal(t, "billing", d.FolderID)
	require.Equal(t, inbox.Intent("invoice"), d.Intent)

	// In a deferred chain, labellers after the slow member run at intake.
	c := classify.Chain(classify.Named("ai", slowModel{}), intent)
	inline := c.(inbox.DeferredClassifier).Inline()
	require.NotNil(t, inline)
	d, err = inline.Classify(ctx, inbox.ClassifyInput{})
	require.NoError(t, err)
	require.Equal(t, "", d.FolderID)
	require.Equal(t, inbox.Intent("invoice"), d.Intent)
}

func TestNamedKeepsCapabilities(t *testing.T) {
	conf := &confirmer{Classifier: fixed(inbox.Decision{}, nil)}
	c := classify.Chain(classify.Named("a", conf))
	c.(inbox.Confirmer).Confirm("t", inbox.ClassifyInput{}, "orders")
	require.Equal(t, []string{"orders"}, conf.confirmed)

	r := classify.Named("rules", rules.New(rules.Options{}))
	require.ErrorIs(t, r.(inbox.RuleValidator).ValidateRules([]byte(`{"field":"subject","op":"containz","value":"x"}`)), inbox.ErrInvalid)
	require.False(t, r.(inbox.HistoryNeeder).NeedsHistory())
	_, deferred := classify.Named("ai", slowModel{}).(inbox.DeferredClassifier)
	require.True(t, deferred)
}
