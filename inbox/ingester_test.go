package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

func TestIngesterCommitsBatchesInOrderWhileTheCallerPrepares(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	var batches atomic.Int32
	ing := e.engine.NewIngester(e.ctx, tenantA, inbox.IngesterOptions{BatchSize: 7, OnBatch: func(inbox.IngestResult) { batches.Add(1) }})
	for i := range 50 {
		m := email(fmt.Sprint("m", i), fmt.Sprintf("c%d@x.example", i%5), "Commande", "Bonjour")
		if i > 0 {
			m.InReplyTo = fmt.Sprintf("m%d@mail.example", i-1)
		}
		require.NoError(t, ing.Add(m))
	}
	require.NoError(t, ing.Add(email("m0", "c0@x.example", "Commande", "Bonjour")), "a duplicate is not an error")
	res, err := ing.Close()
	require.NoError(t, err)
	require.Len(t, res.Items, 51, "one outcome per message, in order")
	require.Equal(t, 50, res.Stored)
	require.Equal(t, 1, res.Duplicates)
	require.Equal(t, inbox.IngestDuplicate, res.Items[50].Status)
	require.EqualValues(t, 8, batches.Load(), "seven batches of 7 and the rest")
	require.ErrorContains(t, ing.Add(email("late", "x@x.example", "s", "t")), "closed")
	_, err = ing.Close()
	require.Error(t, err)
}

// failOnce fails the first write transaction, like a full disk.
type failOnce struct {
	driver.Store
	failed atomic.Bool
}

func (s *failOnce) Update(ctx context.Context, tenant inbox.TenantID, fn func(tx driver.Tx) error) error {
	if s.failed.CompareAndSwap(false, true) {
		return errors.New("disk full")
	}
	return s.Store.Update(ctx, tenant, fn)
}

func TestIngesterStopsAtTheFirstFailedBatch(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	eng, err := inbox.New(inbox.Options{Store: &failOnce{Store: e.store}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	ing := eng.NewIngester(e.ctx, tenantA, inbox.IngesterOptions{BatchSize: 2})
	var addErr error
	for i := 0; i < 20 && addErr == nil; i++ {
		addErr = ing.Add(email(fmt.Sprint("m", i), "a@x.example", "s", "t"))
	}
	_, err = ing.Close()
	require.ErrorContains(t, err, "disk full")
	page, err := e.engine.Conversations(e.ctx, tenantA, inbox.ConversationQuery{})
	require.NoError(t, err)
	require.Empty(t, page.Items, "nothing after the failed batch is committed")
}
