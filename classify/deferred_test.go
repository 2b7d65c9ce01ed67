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
