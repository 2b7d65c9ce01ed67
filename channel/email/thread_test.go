package email

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// newTestEngine returns an engine on an in-memory store with tenant "t1".
func newTestEngine(t *testing.T, opts inbox.Options) *inbox.Engine {
	t.Helper()
	if opts.Store == nil {
		opts.Store = memstore.New()
	}
	eng, err := inbox.New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { eng.Close() })
	_, err = eng.CreateTenant(context.Background(), inbox.Tenant{ID: "t1", Name: "Maison Lumière"}, inbox.Change{Actor: "test"})
	require.NoError(t, err)
	engineStores.Store(eng, opts.Store)
	return eng
}

// engineStores holds each test engine's store (a driver.Store), for the
// tests that read what the engine stored directly.
var engineStores sync.Map

func storeOf(eng *inbox.Engine) driver.Store {
	s, _ := engineStores.Load(eng)
	return s.(driver.Store)
}

// TestCorpusThreads ingests the whole corpus through the engine and checks
// that the conversations it builds are exactly the manifest's threads, and
// that the automated, newsletter and bounce flags reach the stored
// messages.
func TestCorpusThreads(t *testing.T) {
	cases := loadCorpus(t)
	p, err := NewParser(ParseOptions{Tenant: "t1", OwnAddresses: []string{"support@maison-lumiere.example"}})
	require.NoError(t, err)
	eng := newTestEngine(t, inbox.Options{})
	ctx := context.Background()

	convOf := map[string]string{}
	for _, c := range cases {
		f, err := os.Open(c.path)
		require.NoError(t, err)
		got, err := p.Parse(ctx, f)
		f.Close()
		require.NoError(t, err)
		in := got.Inbound
		in.ProviderID = "1/INBOX/" + c.File
		res, err := eng.Ingest(ctx, "t1", []inbox.Inbound{in})
		require.NoError(t, err, c.File)
		require.Equal(t, 1, res.Stored, "%s: %+v", c.File, res.Items)
		convOf[c.File] = res.Items[0].ConversationID
	}
	checkPartition(t, cases, convOf)
	checkStoredFlags(t, eng, cases, convOf)
}

// checkPartition compares the conversations with the manifest's threads.
func checkPartition(t *testing.T, cases []corpusCase, convOf map[string]string) {
	t.Helper()
	threadConv := map[string]string{}
	convThread := map[string]string{}
	for _, c := range cases {
		conv, ok := convOf[c.File]
		require.True(t, ok, "%s was not stored", c.File)
		if want, ok := threadConv[c.Thread]; ok {
			require.Equal(t, want, conv, "%s should join thread %s", c.File, c.Thread)
		}
		if other, ok := convThread[conv]; ok {
			require.Equal(t, other, c.Thread, "%s (thread %s) was merged into thread %s", c.File, c.Thread, other)
		}
		threadConv[c.Thread] = conv
		convThread[conv] = c.Thread
	}
}

// checkStoredFlags reads each conversation back and checks the flags of
// its messages.
func checkStoredFlags(t *testing.T, eng *inbox.Engine, cases []corpusCase, convOf map[string]string) {
	t.Helper()
	byConv := map[string][]inbox.Message{}
	err := storeOf(eng).View(context.Background(), "t1", func(tx driver.Tx) error {
		for _, conv := range convOf {
			if _, ok := byConv[conv]; ok {
				continue
			}
			msgs, err := tx.ListMessages(conv)
			if err != nil {
				return err
			}
			byConv[conv] = msgs
		}
		return nil
	})
	require.NoError(t, err)
	for _, c := range cases {
		var found bool
		for _, m := range byConv[convOf[c.File]] {
			if strings.HasSuffix(m.ProviderID, "/"+c.File) {
				found = true
				require.Equal(t, c.Automated, m.Automated, "%s automated", c.File)
				require.Equal(t, c.Newsletter, m.Newsletter, "%s newsletter", c.File)
				require.Equal(t, c.Bounce, m.Bounce, "%s bounce", c.File)
				if c.Expect["own_message"] == true {
					require.Equal(t, inbox.AuthorAgent, m.Author, "%s is our own reply", c.File)
				}
			}
		}
		require.True(t, found, "%s not found in its conversation", c.File)
	}
}
