package classify_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/classify"
	"github.com/inboxkit/inboxkit/classify/rules"
	"github.com/inboxkit/inboxkit/inbox"
)

func fixed(d inbox.Decision, err error) inbox.Classifier {
	return inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) { return d, err })
}

type recordingLearner struct {
	inbox.Classifier
	learned []string
}

func (l *recordingLearner) Learn(_ inbox.TenantID, _ inbox.ClassifyInput, folderID string) {
	l.learned = append(l.learned, folderID)
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	abstain := fixed(inbox.Decision{}, nil)
	lowConfidence := fixed(inbox.Decision{By: "ai", Reason: "confidence 0.3 below 0.6"}, nil)
	failing := classify.Named("ai", fixed(inbox.Decision{}, errors.New("timeout after 20s")))
	panicking := inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) { panic("boom") })
	learner := classify.Named("learner", fixed(inbox.Decision{FolderID: "orders", Confidence: 0.8, Reason: "similar to 12 orders"}, nil))
	for _, tc := range []struct {
		name       string
		chain      []inbox.Classifier
		want       inbox.Decision
		wantErr    string
		wantFailed int
	}{
		{"first decides", []inbox.Classifier{fixed(inbox.Decision{FolderID: "rdv", By: "rules", Confidence: 1, Reason: "subject contains RDV"}, nil), learner},
			inbox.Decision{FolderID: "rdv", By: "rules", Confidence: 1, Reason: "subject contains RDV"}, "", 0},
		{"abstentions and failures are explained", []inbox.Classifier{abstain, lowConfidence, failing, panicking, learner},
			inbox.Decision{FolderID: "orders", By: "learner", Confidence: 0.8,
				Reason: "similar to 12 orders (after ai abstained: confidence 0.3 below 0.6; ai failed: timeout after 20s; classifier 4 failed: panic: boom)"}, "", 0},
		{"fallback ends the chain", []inbox.Classifier{abstain, classify.Fallback(inbox.Decision{Status: inbox.StatusNew, Intent: inbox.IntentOther})},
			inbox.Decision{Status: inbox.StatusNew, Intent: inbox.IntentOther, By: classify.FallbackBy, Reason: "no other classifier decided"}, "", 0},
		{"nobody decides", []inbox.Classifier{abstain, lowConfidence}, inbox.Decision{}, "", 0},
		{"nobody decides and one failed", []inbox.Classifier{abstain, failing}, inbox.Decision{}, "no classifier decided: ai: timeout after 20s", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := classify.Chain(tc.chain...).Classify(ctx, inbox.ClassifyInput{})
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				var ce *classify.ChainError
				require.ErrorAs(t, err, &ce)
				require.Len(t, ce.Failures, tc.wantFailed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, d)
		})
	}
}

func TestChainForwardsLearn(t *testing.T) {
	a := &recordingLearner{Classifier: fixed(inbox.Decision{}, nil)}
	b := &recordingLearner{Classifier: fixed(inbox.Decision{}, nil)}
	c := classify.Chain(fixed(inbox.Decision{}, nil), a, classify.Named("b", b))
	l, ok := c.(inbox.Learner)
	require.True(t, ok)
	l.Learn("t", inbox.ClassifyInput{}, "billing")
	require.Equal(t, []string{"billing"}, a.learned)
	require.Equal(t, []string{"billing"}, b.learned)
}

func TestChainStopsOnCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := classify.Chain(fixed(inbox.Decision{FolderID: "x"}, nil)).Classify(ctx, inbox.ClassifyInput{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestChainValidatesRules(t *testing.T) {
	refuse := validator{err: inbox.Invalid("rules.op", "unknown operator")}
	require.ErrorIs(t, classify.Chain(fixed(inbox.Decision{}, nil), classify.Named("r", refuse)).(inbox.RuleValidator).ValidateRules([]byte(`{}`)), inbox.ErrInvalid)
	require.NoError(t, classify.Chain(validator{}).(inbox.RuleValidator).ValidateRules([]byte(`{"x":1}`)))
	noValidator := classify.Chain(fixed(inbox.Decision{}, nil)).(inbox.RuleValidator)
	require.ErrorIs(t, noValidator.ValidateRules([]byte(`{not json`)), inbox.ErrInvalid)
	require.NoError(t, noValidator.ValidateRules([]byte(`{"any":[]}`)))
}

type validator struct{ err error }

func (v validator) Classify(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
	return inbox.Decision{}, nil
}

func (v validator) ValidateRules(json.RawMessage) error { return v.err }

func TestChainNeedsHistoryIfAnyMemberDoes(t *testing.T) {
	needs := func(c inbox.Classifier) bool { return c.(inbox.HistoryNeeder).NeedsHistory() }
	opaque := inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) { return inbox.Decision{}, nil })
	fallback := classify.Fallback(inbox.Decision{FolderID: "inbox"})
	require.False(t, needs(classify.Chain(fallback)))
	require.False(t, needs(classify.Chain(rules.New(rules.Options{}), fallback)))
	require.True(t, needs(classify.Chain(rules.New(rules.Options{}), opaque, fallback)), "a classifier that does not say may read it")
}
