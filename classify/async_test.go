package classify_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/classify"
	"github.com/inboxkit/inboxkit/inbox"
)

func asyncInput(conv, msg string) inbox.ClassifyInput {
	return inbox.ClassifyInput{Tenant: inbox.Tenant{ID: "t"}, Conversation: inbox.Conversation{ID: conv}, Message: inbox.Message{ID: msg}}
}

func TestAsyncDeliversResultOnNextClassify(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	slow := inbox.ClassifierFunc(func(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
		calls.Add(1)
		<-release
		return inbox.Decision{FolderID: "orders", By: "ai", Confidence: 0.9}, nil
	})
	ready := make(chan string, 4)
	a, err := classify.Async(slow, classify.AsyncOptions{Concurrency: 1, OnReady: func(_ inbox.TenantID, conv string) { ready <- conv }})
	require.NoError(t, err)
	defer a.Close()
	ctx := context.Background()

	d, err := a.Classify(ctx, asyncInput("c1", "m1"))
	require.NoError(t, err)
	require.True(t, d.Abstains(), "never blocks: abstains while the AI works")
	require.Equal(t, "started in background", d.Reason)

	d, err = a.Classify(ctx, asyncInput("c1", "m1"))
	require.NoError(t, err)
	require.Equal(t, "pending in background", d.Reason)

	d, err = a.Classify(ctx, asyncInput("c2", "m2"))
	require.NoError(t, err)
	require.Contains(t, d.Reason, "busy", "bounded concurrency")

	close(release)
	require.Equal(t, "c1", <-ready)
	d, err = a.Classify(ctx, asyncInput("c1", "m1"))
	require.NoError(t, err)
	require.Equal(t, "orders", d.FolderID)
	require.Equal(t, int32(1), calls.Load())

	// Picked up once: the next call starts again.
	d, err = a.Classify(ctx, asyncInput("c1", "m1"))
	require.NoError(t, err)
	require.True(t, d.Abstains())
	require.Equal(t, "c1", <-ready)
}

func TestAsyncInChainLetsOthersDecideMeanwhile(t *testing.T) {
	failing := inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
		return inbox.Decision{}, errors.New("malformed reply")
	})
	ready := make(chan string, 1)
	a, err := classify.Async(classify.Named("ai", failing), classify.AsyncOptions{OnReady: func(_ inbox.TenantID, conv string) { ready <- conv }})
	require.NoError(t, err)
	defer a.Close()
	chain := classify.Chain(a, classify.Fallback(inbox.Decision{FolderID: "inbox"}))
	d, err := chain.Classify(context.Background(), asyncInput("c", "m"))
	require.NoError(t, err)
	require.Equal(t, "inbox", d.FolderID)
	require.Contains(t, d.Reason, "ai abstained: started in background")
	<-ready
	d, err = chain.Classify(context.Background(), asyncInput("c", "m"))
	require.NoError(t, err)
	require.Equal(t, "inbox", d.FolderID)
	require.Contains(t, d.Reason, "ai failed: malformed reply")
}

func TestAsyncCloseCancelsWork(t *testing.T) {
	started := make(chan struct{})
	blocked := inbox.ClassifierFunc(func(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
		close(started)
		<-ctx.Done()
		return inbox.Decision{}, ctx.Err()
	})
	a, err := classify.Async(blocked, classify.AsyncOptions{Timeout: time.Hour, OnReady: func(inbox.TenantID, string) { t.Error("no result after Close") }})
	require.NoError(t, err)
	_, err = a.Classify(context.Background(), asyncInput("c", "m"))
	require.NoError(t, err)
	<-started
	require.NoError(t, a.Close())
	_, err = a.Classify(context.Background(), asyncInput("c", "m2"))
	require.ErrorIs(t, err, inbox.ErrUnsupported)
}

func TestAsyncValidatesOptions(t *testing.T) {
	_, err := classify.Async(fixed(inbox.Decision{}, nil), classify.AsyncOptions{})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}
