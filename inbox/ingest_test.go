package inbox_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/blob"
)

func TestIngestCreatesConversationAndContact(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	in := email("m1", "Camille.Rousseau@Courriel.example ", "Où est ma commande #12345 ?", "Bonjour, où en est ma commande ?")
	in.From.Name = "Camille Rousseau"
	res := e.ingest(in)

	require.Equal(t, 1, res.Stored)
	item := res.Items[0]
	require.Equal(t, inbox.IngestStored, item.Status)
	require.True(t, item.NewConversation)

	c := e.conversation(item.ConversationID)
	require.Equal(t, inbox.StatusNew, c.Status)
	require.Equal(t, 1, c.Unread)
	require.Equal(t, 1, c.MessageCount)
	require.Equal(t, "Où est ma commande #12345 ?", c.Subject)

	var contact inbox.Contact
	e.update(func(tx driver.Tx) error {
		var err error
		contact, err = tx.FindContact(inbox.ContactKey{Email: "camille.rousseau@courriel.example"})
		return err
	})
	require.Equal(t, c.ContactID, contact.ID)
	require.Equal(t, "Camille Rousseau", contact.Name)

	msgs := e.messages(c.ID)
	require.Len(t, msgs, 1)
	require.Equal(t, inbox.DirectionIn, msgs[0].Direction)
	require.Equal(t, inbox.AuthorCustomer, msgs[0].Author)
	require.Equal(t, "new conversation", msgs[0].ThreadReason)
}

func TestIngestIsIdempotent(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	batch := []inbox.Inbound{email("m1", "a@x.example", "Lampe cassée", "La lampe est arrivée cassée"), sms("sms-1", "+33 6 12 34 56 78", "slt, ma cmd?")}
	first := e.ingest(batch...)
	require.Equal(t, 2, first.Stored)

	second := e.ingest(batch...)
	require.Equal(t, 0, second.Stored)
	require.Equal(t, 2, second.Duplicates)
	for i, it := range second.Items {
		require.Equal(t, inbox.IngestDuplicate, it.Status)
		require.Equal(t, first.Items[i].MessageID, it.MessageID, "a duplicate reports the original message")
	}

	// The same mail fetched from another mailbox (another integration,
	// another provider id) is recognised by its Message-ID and sender.
	again := batch[0]
	again.IntegrationID, again.ProviderID = "other-mailbox", "uid-77"
	res := e.ingest(again)
	require.Equal(t, 1, res.Duplicates)

	// A broken mailer reusing a fixed Message-ID for unrelated mail from
	// another sender does not lose the second mail.
	reuse := email("m2", "b@y.example", "Devis", "Autre message")
	reuse.MessageID = batch[0].MessageID
	res = e.ingest(reuse)
	require.Equal(t, 1, res.Stored)
	require.NotEqual(t, first.Items[0].ConversationID, res.Items[0].ConversationID)
}

func TestIngestWithinOneBatchDeduplicates(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	m := email("m1", "a@x.example", "Hello there friend", "x")
	res := e.ingest(m, m)
	require.Equal(t, 1, res.Stored)
	require.Equal(t, 1, res.Duplicates)
}

func TestIngestQuarantinesBadMessagesAndStoresTheRest(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	good := email("ok", "a@x.example", "Facture", "Ma facture est fausse")
	unparsable := inbox.Inbound{IntegrationID: "mbox", Source: inbox.SourceEmail, ProviderID: "uid-9", ParseError: "multipart: NextPart: EOF", RawKey: "acme/raw/1"}
	noSender := email("nosender", "", "Sans expéditeur", "?")
	badSource := inbox.Inbound{IntegrationID: "mbox", Source: "Fax!", ProviderID: "f1", From: inbox.Party{Phone: "331"}}

	res := e.ingest(unparsable, good, noSender, badSource)
	require.Equal(t, 1, res.Stored)
	require.Equal(t, 3, res.Quarantined)
	require.Equal(t, inbox.IngestQuarantined, res.Items[0].Status)
	require.Contains(t, res.Items[0].Reason, "multipart: NextPart: EOF")
	require.Contains(t, res.Items[2].Reason, "messages[2].from")
	require.Contains(t, res.Items[3].Reason, "messages[3].source")

	var items []inbox.QuarantineItem
	e.update(func(tx driver.Tx) error {
		var err error
		items, err = tx.ListQuarantine(inbox.QuarantineQuery{})
		return err
	})
	require.Len(t, items, 3)
	for _, q := range items {
		require.NotEmpty(t, q.Error)
		require.NotEmpty(t, q.Inbound, "the message is kept for replay")
	}
}

// A host's own channel kind is stored and threaded like the shipped
// ones: the same customer's messages on it join one conversation.
func TestIngestHostChannelKind(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	chat := func(id, text string) inbox.Inbound {
		return inbox.Inbound{IntegrationID: "widget", Source: "chat", ProviderID: id, From: inbox.Party{ID: "visitor-7", Name: "Ada"}, Text: text}
	}
	res := e.ingest(chat("c1", "Bonjour"), chat("c2", "Vous êtes là ?"))
	require.Equal(t, 2, res.Stored, res.Items)
	require.Equal(t, res.Items[0].ConversationID, res.Items[1].ConversationID)
	conv, err := e.engine.Conversation(e.ctx, tenantA, res.Items[0].ConversationID)
	require.NoError(t, err)
	require.Equal(t, inbox.Source("chat"), conv.Source)
}

func TestIngestUnknownTenant(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	_, err := e.engine.Ingest(e.ctx, "nobody", []inbox.Inbound{email("m1", "a@x.example", "s", "t")})
	require.ErrorIs(t, err, inbox.ErrNotFound)
	require.Contains(t, err.Error(), `"nobody"`)
}

// failingStore makes the nth InsertMessage of a transaction fail, to prove
// a failing batch leaves nothing behind.
type failingStore struct {
	driver.Store
	failAt int
}

type failingTx struct {
	driver.Tx
	n      *int
	failAt int
}

func (s failingStore) Update(ctx context.Context, tenant inbox.TenantID, fn func(driver.Tx) error) error {
	n := 0
	return s.Store.Update(ctx, tenant, func(tx driver.Tx) error { return fn(failingTx{Tx: tx, n: &n, failAt: s.failAt}) })
}

func (t failingTx) InsertMessage(m *inbox.Message) error {
	*t.n++
	if *t.n == t.failAt {
		return errors.New("disk full")
	}
	return t.Tx.InsertMessage(m)
}

func TestIngestBatchIsAtomicWithItsCursor(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	integ := e.integration(inbox.SourceEmail, nil)
	eng, err := inbox.New(inbox.Options{Store: failingStore{Store: e.store, failAt: 2}, Clock: e.clock})
	require.NoError(t, err)

	cursor := "INBOX:1:3"
	msgs := []inbox.Inbound{email("m1", "a@x.example", "Un", "1"), email("m2", "b@x.example", "Deux", "2"), email("m3", "c@x.example", "Trois", "3")}
	for i := range msgs {
		msgs[i].IntegrationID = integ.ID
	}
	_, err = eng.IngestBatch(e.ctx, tenantA, inbox.Batch{IntegrationID: integ.ID, Cursor: &cursor, Messages: msgs})
	require.ErrorContains(t, err, "disk full")

	e.update(func(tx driver.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{})
		require.NoError(t, err)
		require.Empty(t, page.Items, "no partial batch")
		got, err := tx.GetIntegration(integ.ID)
		require.NoError(t, err)
		require.Empty(t, got.Cursor, "cursor unchanged")
		audit, err := tx.ListAudit(inbox.AuditQuery{})
		require.NoError(t, err)
		require.Empty(t, audit)
		return nil
	})

	// The same batch through a healthy engine commits with its cursor.
	_, err = e.engine.IngestBatch(e.ctx, tenantA, inbox.Batch{IntegrationID: integ.ID, Cursor: &cursor, Messages: msgs})
	require.NoError(t, err)
	e.update(func(tx driver.Tx) error {
		got, err := tx.GetIntegration(integ.ID)
		require.NoError(t, err)
		require.Equal(t, cursor, got.Cursor)
		audit, err := tx.ListAudit(inbox.AuditQuery{})
		require.NoError(t, err)
		require.Len(t, audit, 3, "one audit entry per ingested message, in the same transaction")
		return nil
	})
}

func TestConcurrentIngestStoresEachMessageOnce(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	var msgs []inbox.Inbound
	for i := range 50 {
		msgs = append(msgs, sms("id-"+string(rune('a'+i%26))+string(rune('a'+i/26)), "+3361234567"+string(rune('0'+i%10)), "hello"))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// every goroutine ingests all messages, in a different order
			batch := append([]inbox.Inbound(nil), msgs[g*5:]...)
			batch = append(batch, msgs[:g*5]...)
			for i := 0; i < len(batch); i += 7 {
				_, err := e.engine.Ingest(e.ctx, tenantA, batch[i:min(i+7, len(batch))])
				require.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	total := 0
	e.update(func(tx driver.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500})
		require.NoError(t, err)
		for _, c := range page.Items {
			ms, err := tx.ListMessages(c.ID)
			require.NoError(t, err)
			total += len(ms)
			require.Equal(t, c.MessageCount, len(ms))
		}
		require.Len(t, page.Items, 10, "one conversation per phone number")
		return nil
	})
	require.Equal(t, 50, total)
}

func TestSlowSubscriberDoesNotBlockIngest(t *testing.T) {
	e := newEnv(t, inbox.Options{EventBuffer: 5})
	release := make(chan struct{})
	var mu sync.Mutex
	var got []inbox.Event
	cancel := e.engine.Subscribe(func(ev inbox.Event) {
		<-release
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	})
	done := make(chan struct{})
	go func() {
		for i := range 20 {
			e.ingest(sms("s"+string(rune('a'+i)), "+336000000"+string(rune('a'+i)), "x"))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("ingest blocked on a slow subscriber")
	}
	close(release)
	cancel()
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, got)
	// at most one batch in delivery plus a full queue
	require.LessOrEqual(t, len(got), 2*5, "the slow subscriber's queue is bounded")
}

func TestEventsAfterCommit(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	ch := make(chan inbox.Event, 10)
	cancel := e.engine.Subscribe(func(ev inbox.Event) { ch <- ev })
	defer cancel()
	res := e.ingest(sms("s1", "+33611111111", "Mon compte ne fonctionne pas"))
	types := map[inbox.EventType]inbox.Event{}
	for len(types) < 2 {
		select {
		case ev := <-ch:
			types[ev.Type] = ev
		case <-time.After(5 * time.Second):
			t.Fatalf("events missing, got %v", types)
		}
	}
	require.Equal(t, res.Items[0].MessageID, types[inbox.EventMessageReceived].MessageID)
	require.Equal(t, res.Items[0].ConversationID, types[inbox.EventConversationCreated].ConversationID)
}

func TestNewsletterPolicies(t *testing.T) {
	for _, tc := range []struct {
		policy inbox.NewsletterPolicy
		want   inbox.IngestStatus
		status inbox.Status
	}{
		{inbox.NewsletterKeep, inbox.IngestStored, inbox.StatusNew},
		{inbox.NewsletterSkip, inbox.IngestSkipped, ""},
		{inbox.NewsletterSpam, inbox.IngestStored, inbox.StatusSpam},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			e := newEnv(t, inbox.Options{})
			tn, err := e.store.GetTenant(e.ctx, tenantA)
			require.NoError(t, err)
			tn.Settings.Newsletter = tc.policy
			require.NoError(t, e.store.UpdateTenant(e.ctx, &tn))
			nl := email("nl1", "news@shop.example", "Printemps -20%", "Nos offres")
			nl.Automated, nl.Newsletter, nl.AutomatedReason = true, true, "list-unsubscribe"
			res := e.ingest(nl)
			require.Equal(t, tc.want, res.Items[0].Status)
			if tc.status != "" {
				c := e.conversation(res.Items[0].ConversationID)
				require.Equal(t, tc.status, c.Status)
				require.True(t, c.Automated)
			}
		})
	}
}

// Our own reply synced from the Sent folder counts like one written in the
// inbox: the conversation opens and is read up to it.
func TestSentFolderReplyOpensAndReadsTheConversation(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	first := e.ingest(email("c1", "ada@example.com", "Commande", "Où est ma commande ?"))
	conv := e.conversation(first.Items[0].ConversationID)
	require.Equal(t, inbox.StatusNew, conv.Status)
	require.Equal(t, 1, conv.Unread)

	own := email("o1", "support@maison-lumiere.example", "Re: Commande", "Elle part demain.")
	own.Own, own.To, own.InReplyTo = true, []inbox.Party{{Email: "ada@example.com"}}, "c1@mail.example"
	own.SentAt = e.clock.Now().Add(time.Minute)
	res := e.ingest(own)
	require.Equal(t, conv.ID, res.Items[0].ConversationID)
	conv = e.conversation(conv.ID)
	require.Equal(t, inbox.StatusOpen, conv.Status)
	require.Zero(t, conv.Unread)
	msgs, err := e.engine.Messages(e.ctx, tenantA, conv.ID)
	require.NoError(t, err)
	require.True(t, msgs[0].Read, "the customer's message is read")
}

// The files a channel kept for a message the engine does not keep (a
// duplicate, a batch that failed) are deleted; a stored message's stay.
func TestFilesOfMessagesNotKeptAreDeleted(t *testing.T) {
	blobs := blob.NewMemory()
	has := func(key string) bool {
		_, err := blobs.Get(context.Background(), key)
		return err == nil
	}
	e := newEnv(t, inbox.Options{Blobs: blobs})
	put := func() string {
		k := inbox.NewBlobKey(tenantA, "raw")
		_, err := blobs.Put(e.ctx, k, strings.NewReader("raw mail"))
		require.NoError(t, err)
		return k
	}
	first := email("m1", "ada@example.com", "Commande", "Bonjour")
	first.RawKey = put()
	e.ingest(first)
	again := first
	again.RawKey = put() // a re-sync fetched and kept it again
	res := e.ingest(again)
	require.Equal(t, inbox.IngestDuplicate, res.Items[0].Status)
	require.True(t, has(first.RawKey), "the stored message's file stays")
	require.False(t, has(again.RawKey), "the duplicate's copy is deleted")

	failing, err := inbox.New(inbox.Options{Store: &failOnce{Store: e.store}, Blobs: blobs})
	require.NoError(t, err)
	t.Cleanup(func() { _ = failing.Close() })
	lost := email("m2", "bob@example.com", "Facture", "Bonjour")
	lost.RawKey = put()
	_, err = failing.Ingest(e.ctx, tenantA, []inbox.Inbound{lost})
	require.Error(t, err)
	require.False(t, has(lost.RawKey), "a failed batch leaves no file behind")
}
