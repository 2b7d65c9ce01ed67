package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// retryable reports whether a transaction lost a race and may be retried.
func retryable(err error) bool {
	return errors.Is(err, inbox.ErrConflict) || errors.Is(err, inbox.ErrTemporary)
}

// ingestCorpus returns distinct inbound messages from a few senders over
// email and SMS; replies reference earlier mails so threading looks keys up.
func ingestCorpus(n, senders int) []inbox.Inbound {
	msgs := make([]inbox.Inbound, n)
	for i := range msgs {
		s := i % senders
		if i%4 == 3 {
			msgs[i] = inbox.Inbound{
				IntegrationID: "int-sms", Source: inbox.SourceSMS, ProviderID: fmt.Sprintf("sms-%d", i),
				From: inbox.Party{Phone: fmt.Sprintf("+33 6 00 00 00 %02d", s)}, Text: fmt.Sprintf("SMS %d", i),
				SentAt: at(time.Duration(i) * time.Minute),
			}
			continue
		}
		in := inbox.Inbound{
			IntegrationID: "int-mail", Source: inbox.SourceEmail, ProviderID: fmt.Sprintf("1/INBOX/%d", i),
			MessageID: fmt.Sprintf("<m%d@sender%d.example>", i, s),
			From:      inbox.Party{Name: fmt.Sprintf("Sender %d", s), Email: fmt.Sprintf("sender%d@example.com", s)},
			Subject:   fmt.Sprintf("Order %d", i%9), Text: fmt.Sprintf("Message number %d", i),
			SentAt: at(time.Duration(i) * time.Minute),
		}
		if i >= senders*2 {
			in.InReplyTo = fmt.Sprintf("<m%d@sender%d.example>", i-senders*2, s)
		}
		msgs[i] = in
	}
	return msgs
}

func testConcurrency(t *testing.T, newStore NewStoreFunc) {
	t.Run("ConcurrentIngestStoresEachMessageOnce", func(t *testing.T) {
		h := setup(t, newStore)
		eng, err := inbox.New(inbox.Options{Store: h.store})
		require.NoError(t, err)
		t.Cleanup(func() { _ = eng.Close() })
		const (
			workers = 8
			total   = 80
			senders = 5
			batch   = 5
		)
		corpus := ingestCorpus(total, senders)
		var (
			mu     sync.Mutex
			stored int
			wg     sync.WaitGroup
			errs   = make(chan error, workers)
		)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Every worker ingests the whole corpus in its own order.
				order := rand.New(rand.NewPCG(uint64(w), 7)).Perm(total)
				for start := 0; start < total; start += batch {
					var msgs []inbox.Inbound
					for _, i := range order[start:min(start+batch, total)] {
						msgs = append(msgs, corpus[i])
					}
					for attempt := 0; ; attempt++ {
						res, err := eng.Ingest(context.Background(), h.tenant, msgs)
						if err == nil {
							mu.Lock()
							stored += res.Stored
							mu.Unlock()
							break
						}
						if !retryable(err) || attempt > 50 {
							errs <- err
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Equal(t, total, stored, "each message is stored by exactly one ingest")

		h.view(func(tx driver.Tx) {
			providerIDs := map[string]int{}
			for _, c := range listAll(t, tx, inbox.ConversationQuery{Limit: 500}) {
				msgs, err := tx.ListMessages(c.ID)
				require.NoError(t, err)
				for _, m := range msgs {
					providerIDs[m.ProviderID]++
				}
			}
			require.Len(t, providerIDs, total)
			for id, n := range providerIDs {
				require.Equal(t, 1, n, "message %s stored %d times", id, n)
			}
			contacts := listAllContacts(t, tx, inbox.ContactQuery{Limit: 100})
			require.Len(t, contacts, 2*senders, "one contact per email sender and per phone")
		})
	})
	t.Run("ConcurrentRepliesThreadIntoOneConversation", func(t *testing.T) {
		// Mailboxes synced side by side whose messages thread into one
		// conversation race on its version: the engine retries, so no
		// caller sees the conflict.
		h := setup(t, newStore)
		eng, err := inbox.New(inbox.Options{Store: h.store})
		require.NoError(t, err)
		t.Cleanup(func() { _ = eng.Close() })
		first := inbox.Inbound{IntegrationID: "int-mail", Source: inbox.SourceEmail, ProviderID: "1/INBOX/1", MessageID: "<root@client.example>",
			From: inbox.Party{Email: "client@client.example"}, Subject: "Suivi", Text: "Bonjour", SentAt: at(0)}
		res, err := eng.Ingest(context.Background(), h.tenant, []inbox.Inbound{first})
		require.NoError(t, err)
		convID := res.Items[0].ConversationID
		const workers, rounds = 6, 4
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds)
		for w := range workers {
			wg.Go(func() {
				for r := range rounds {
					in := first
					in.IntegrationID = fmt.Sprintf("int-mail-%d", w)
					in.ProviderID = fmt.Sprintf("1/INBOX/%d", r)
					in.MessageID = fmt.Sprintf("<reply-%d-%d@client.example>", w, r)
					in.InReplyTo, in.Subject, in.SentAt = first.MessageID, "Re: Suivi", at(time.Duration(1+w*rounds+r)*time.Minute)
					res, err := eng.Ingest(context.Background(), h.tenant, []inbox.Inbound{in})
					switch {
					case err != nil:
						errs <- err
					case res.Items[0].ConversationID != convID:
						errs <- fmt.Errorf("reply %s threaded into %s, not %s", in.MessageID, res.Items[0].ConversationID, convID)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		h.view(func(tx driver.Tx) {
			c, err := tx.GetConversation(convID)
			require.NoError(t, err)
			require.Equal(t, 1+workers*rounds, c.MessageCount)
			msgs, err := tx.ListMessages(convID)
			require.NoError(t, err)
			require.Len(t, msgs, 1+workers*rounds)
		})
	})
	t.Run("ConcurrentUpdatesAtOneVersion", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		const workers = 8
		results := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					results[w] = h.store.Update(context.Background(), h.tenant, func(tx driver.Tx) error {
						c := conv // every worker read version 1
						c.Summary = fmt.Sprintf("written by %d", w)
						return tx.UpdateConversation(&c)
					})
					if !errors.Is(results[w], inbox.ErrTemporary) {
						return
					}
				}
			}()
		}
		wg.Wait()
		winner := -1
		for w, err := range results {
			if err == nil {
				require.Equal(t, -1, winner, "workers %d and %d both won", winner, w)
				winner = w
				continue
			}
			require.ErrorIs(t, err, inbox.ErrConflict, "worker %d", w)
		}
		require.NotEqual(t, -1, winner, "one update must win")
		got := h.getConversation(conv.ID)
		require.Equal(t, fmt.Sprintf("written by %d", winner), got.Summary)
		require.EqualValues(t, 2, got.Version)
	})
	t.Run("ConcurrentInsertsOfOneDedupeKey", func(t *testing.T) {
		h := setup(t, newStore)
		conv := h.conversation()
		const workers = 8
		results := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					results[w] = h.store.Update(context.Background(), h.tenant, func(tx driver.Tx) error {
						m := newMessage(conv.ID, func(m *inbox.Message) { m.DedupeKeys = []string{"p:int-1:same"} })
						return tx.InsertMessage(&m)
					})
					if !errors.Is(results[w], inbox.ErrTemporary) {
						return
					}
				}
			}()
		}
		wg.Wait()
		wins := 0
		for w, err := range results {
			if err == nil {
				wins++
				continue
			}
			require.ErrorIs(t, err, inbox.ErrConflict, "worker %d", w)
		}
		require.Equal(t, 1, wins)
		h.view(func(tx driver.Tx) {
			msgs, err := tx.ListMessages(conv.ID)
			require.NoError(t, err)
			require.Len(t, msgs, 1)
		})
	})
	t.Run("ReadersSeeNoUncommittedWrites", func(t *testing.T) {
		h := setup(t, newStore)
		written := make(chan struct{})
		readerDone := make(chan []inbox.Folder, 1)
		go func() {
			<-written
			var folders []inbox.Folder
			_ = h.store.View(context.Background(), h.tenant, func(tx driver.Tx) error {
				var err error
				folders, err = tx.ListFolders()
				return err
			})
			readerDone <- folders
		}()
		rollback := errors.New("rollback")
		err := h.store.Update(context.Background(), h.tenant, func(tx driver.Tx) error {
			f := inbox.Folder{Name: "uncommitted"}
			if err := tx.CreateFolder(&f); err != nil {
				return err
			}
			close(written)
			// Give a non-blocking reader the chance to look now; a store
			// that blocks readers during a write sees the rollback.
			select {
			case folders := <-readerDone:
				readerDone <- folders
			case <-time.After(50 * time.Millisecond):
			}
			return rollback
		})
		require.ErrorIs(t, err, rollback)
		require.Empty(t, <-readerDone, "a reader saw an uncommitted folder")
	})
}
