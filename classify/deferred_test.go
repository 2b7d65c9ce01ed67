package classify_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/classify"
	"github.com/inboxkit/inboxkit/inbox"
)

type slowModel struct{}

func (slowModel) Classify(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
	return inbox.Decision{FolderID: "f-model"}, nil
}
func (slowModel) Inline() inbox.Classifier { return nil }

func fixedFolder(folder string) inbox.Classifier {
	return inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
		return inbox.Decision{FolderID: folder}, nil
	})
}

func abstain() inbox.Classifier {
	return inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) { return inbox.Decision{}, nil })
}

// A chain with a slow member runs, at intake, only the members before it:
// a fallback after the model must not decide before the model is asked.
func TestChainWithASlowMemberIsDeferred(t *testing.T) {
	ctx := context.Background()
	fast := classify.Chain(abstain(), classify.Fallback(inbox.Decision{FolderID: "f-default"}))
	_, deferred := fast.(inbox.DeferredClassifier)
	require.False(t, deferred, "a chain of fast members runs inline entirely")

	c := classify.Chain(abstain(), classify.Named("ai", slowModel{}), classify.Fallback(inbox.Decision{FolderID: "f-default"}))
	dc, ok := c.(inbox.DeferredClassifier)
	require.True(t, ok)
	inline := dc.Inline()
	require.NotNil(t, inline)
	d, err := inline.Classify(ctx, inbox.ClassifyInput{})
	require.NoError(t, err)
	require.True(t, d.Abstains(), "the fallback after the model waits for it")
	d, err = c.Classify(ctx, inbox.ClassifyInput{})
	require.NoError(t, err)
	require.Equal(t, "f-model", d.FolderID, "the whole chain, in the background, asks the model")

	onlySlow := classify.Chain(classify.Named("ai", slowModel{}), fixedFolder("f-x"))
	require.Nil(t, onlySlow.(inbox.DeferredClassifier).Inline(), "nothing runs inline before a leading model")
}

// slowLabeller stands for a labeller too costly for the intake path.
type slowLabeller struct{}

func (slowLabeller) LabelsOnly()  {}
func (slowLabeller) Name() string { return "intent" }
func (slowLabeller) Classify(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
	return inbox.Decision{Intent: inbox.IntentOrder, Urgency: inbox.UrgencyNormal, Reason: "asks about an order"}, nil
}

// A labeller in Background holds nobody back: the members that file
// still file at intake, their decision is marked pending, and the whole
// chain, in the background, adds the labels.
func TestBackgroundLabellerCompletesTheFastDecision(t *testing.T) {
	ctx := context.Background()
	bg := classify.Background(slowLabeller{})
	_, labeller := bg.(classify.Labeller)
	require.True(t, labeller, "Background over a labeller is a labeller")
	require.Nil(t, bg.(inbox.DeferredClassifier).Inline(), "nothing of it runs at intake")
	named := classify.Named("labels", bg)
	_, labeller = named.(classify.Labeller)
	_, deferred := named.(inbox.DeferredClassifier)
	require.True(t, labeller && deferred, "Named keeps both capabilities")

	for name, c := range map[string]inbox.Classifier{
		"labeller last":  classify.Chain(abstain(), fixedFolder("f-orders"), bg),
		"labeller first": classify.Chain(bg, abstain(), fixedFolder("f-orders")),
	} {
		t.Run(name, func(t *testing.T) {
			dc, ok := c.(inbox.DeferredClassifier)
			require.True(t, ok)
			d, err := dc.Inline().Classify(ctx, inbox.ClassifyInput{})
			require.NoError(t, err)
			require.Equal(t, "f-orders", d.FolderID, "the filers run at intake")
			require.Empty(t, d.Intent)
			require.True(t, d.Pending, "the labels are still to come")

			d, err = c.Classify(ctx, inbox.ClassifyInput{})
			require.NoError(t, err)
			require.Equal(t, "f-orders", d.FolderID)
			require.Equal(t, inbox.IntentOrder, d.Intent)
			require.False(t, d.Pending, "the whole chain completes the decision")
		})
	}

	// Without a slow labeller, a filing at intake is complete; a slow
	// filer leaves only unfiled decisions pending.
	c := classify.Chain(fixedFolder("f-orders"), classify.Named("ai", slowModel{}))
	d, err := c.(inbox.DeferredClassifier).Inline().Classify(ctx, inbox.ClassifyInput{})
	require.NoError(t, err)
	require.False(t, d.Pending)
	c = classify.Chain(abstain(), classify.Named("ai", slowModel{}))
	d, err = c.(inbox.DeferredClassifier).Inline().Classify(ctx, inbox.ClassifyInput{})
	require.NoError(t, err)
	require.True(t, d.Pending)
}
