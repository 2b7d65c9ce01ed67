package email

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/dovecot"
)

// plainSealer stores secrets as they are: sealing is not under test here.
type plainSealer struct{}

func (plainSealer) Seal(_ context.Context, p []byte, _ inbox.SealContext) ([]byte, error) {
	return p, nil
}
func (plainSealer) Open(_ context.Context, c []byte, _ inbox.SealContext) ([]byte, error) {
	return c, nil
}

// mailbox is a Dovecot account loaded for a test.
type mailbox struct {
	srv   *dovecot.Server
	admin *imapclient.Client
	// uidFile maps "folder/uid" to the corpus file appended there.
	uidFile map[string]string
}

func startDovecot(t *testing.T) *mailbox {
	t.Helper()
	srv := dovecot.Start(t)
	u := srv.Users[0]
	return &mailbox{srv: srv, admin: imapAdmin(t, srv.Addr, u.Name, u.Password), uidFile: map[string]string{}}
}

// appendFile appends raw mail and remembers its UID.
func (m *mailbox) appendFile(t testing.TB, folder, name string, raw []byte) imap.UID {
	t.Helper()
	cmd := m.admin.Append(folder, int64(len(raw)), nil)
	_, err := cmd.Write(raw)
	require.NoError(t, err)
	require.NoError(t, cmd.Close())
	data, err := cmd.Wait()
	require.NoError(t, err)
	m.uidFile[fmt.Sprintf("%d/%s/%d", data.UIDValidity, folder, data.UID)] = name
	return data.UID
}

// loadCorpus appends every corpus file: our own replies to Sent, the rest
// to INBOX.
func (m *mailbox) loadCorpus(t *testing.T, cases []corpusCase) {
	t.Helper()
	for _, c := range cases {
		raw, err := os.ReadFile(c.path)
		require.NoError(t, err)
		folder := "INBOX"
		if c.Expect["own_message"] == true {
			folder = "Sent"
		}
		m.appendFile(t, folder, c.File, raw)
	}
}

// engineFor builds an engine with one email integration on the mailbox.
func engineFor(t *testing.T, addr string, u dovecot.User, blobs inbox.BlobStore, config map[string]string) *inbox.Engine {
	t.Helper()
	eng := newTestEngine(t, inbox.Options{
		Blobs: blobs, Sealer: plainSealer{},
		Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: Factory(FactoryOptions{Blobs: blobs})},
	})
	host, port, _ := net.SplitHostPort(addr)
	cfg := map[string]string{
		ConfigIMAPHost: host, ConfigIMAPPort: port, ConfigIMAPSecurity: "plain",
		ConfigUsername: u.Name, ConfigAddress: "support@maison-lumiere.example",
	}
	for k, v := range config {
		cfg[k] = v
	}
	err := storeOf(eng).Update(context.Background(), "t1", func(tx driver.Tx) error {
		return tx.CreateIntegration(&inbox.Integration{
			ID: "mail1", TenantID: "t1", Kind: inbox.SourceEmail, Name: "support", Enabled: true,
			Config: cfg, Secrets: map[string][]byte{SecretPassword: []byte(u.Password)},
		})
	})
	require.NoError(t, err)
	return eng
}

func storedByProvider(t *testing.T, eng *inbox.Engine, providerID string) inbox.Message {
	t.Helper()
	var m inbox.Message
	err := storeOf(eng).View(context.Background(), "t1", func(tx driver.Tx) error {
		var err error
		m, err = tx.GetMessageByProviderID("mail1", providerID)
		return err
	})
	require.NoError(t, err, providerID)
	return m
}

func TestDovecotCorpusSync(t *testing.T) {
	cases := loadCorpus(t)
	mb := startDovecot(t)
	mb.loadCorpus(t, cases)
	blobs := newMemBlobs()
	eng := engineFor(t, mb.srv.Addr, mb.srv.Users[0], blobs, nil)
	ctx := context.Background()

	report, err := eng.Sync(ctx, "t1", "mail1")
	require.NoError(t, err)
	require.Equal(t, len(cases), report.Fetched)
	require.Equal(t, len(cases), report.New, "%+v", report)
	require.Zero(t, report.Quarantined)
	require.Empty(t, report.Errors)

	byFile := map[string]corpusCase{}
	for _, c := range cases {
		byFile[c.File] = c
	}
	p, err := NewParser(ParseOptions{Tenant: "t1", Blobs: newMemBlobs(), OwnAddresses: []string{"support@maison-lumiere.example"}})
	require.NoError(t, err)
	convOf := map[string]string{}
	for providerID, file := range mb.uidFile {
		c := byFile[file]
		m := storedByProvider(t, eng, providerID)
		convOf[file] = m.ConversationID
		// The raw message kept from IMAP parses to every expectation.
		rc, err := blobs.Get(ctx, m.RawKey)
		require.NoError(t, err)
		got, err := p.Parse(ctx, rc)
		rc.Close()
		require.NoError(t, err)
		t.Run(file, func(t *testing.T) {
			delete(c.Expect, "file_size") // Dovecot stores maildir with LF and serves CRLF
			checkExpect(t, c, got, nil)
			require.Equal(t, c.Automated, m.Automated)
			require.Equal(t, c.Newsletter, m.Newsletter)
			require.Equal(t, c.Bounce, m.Bounce)
			require.Equal(t, got.Inbound.Subject, m.Subject)
			require.Equal(t, len(got.Inbound.Attachments), len(m.Attachments))
			for i, a := range m.Attachments {
				require.Equal(t, got.Inbound.Attachments[i].SHA256, a.SHA256)
			}
			if c.Expect["own_message"] == true {
				require.Equal(t, inbox.AuthorAgent, m.Author)
				require.Equal(t, inbox.DirectionOut, m.Direction)
			}
		})
	}
	checkPartition(t, cases, convOf)

	// A second sync finds nothing new.
	report, err = eng.Sync(ctx, "t1", "mail1")
	require.NoError(t, err)
	require.Zero(t, report.Fetched)
}

func TestDovecotUIDValidityChangeResyncsWithoutDuplicates(t *testing.T) {
	mb := startDovecot(t)
	require.NoError(t, mb.admin.Create("Archive", nil).Wait())
	for i := 1; i <= 8; i++ {
		mb.appendFile(t, "Archive", fmt.Sprint(i), testMail(i))
	}
	eng := engineFor(t, mb.srv.Addr, mb.srv.Users[0], newMemBlobs(), map[string]string{ConfigFolders: "Archive"})
	ctx := context.Background()
	report, err := eng.Sync(ctx, "t1", "mail1")
	require.NoError(t, err)
	require.Equal(t, 8, report.New)

	// The folder is rebuilt (a server migration): same mail, new UIDVALIDITY.
	require.NoError(t, mb.admin.Delete("Archive").Wait())
	require.NoError(t, mb.admin.Create("Archive", nil).Wait())
	for i := 1; i <= 9; i++ {
		mb.appendFile(t, "Archive", fmt.Sprint(i), testMail(i))
	}
	report, err = eng.Sync(ctx, "t1", "mail1")
	require.NoError(t, err)
	require.Equal(t, 9, report.Fetched, "the folder is read again")
	require.Equal(t, 1, report.New, "only the really new message is stored")
	require.Equal(t, 8, report.Duplicates)
}

func TestDovecotWrongPasswordMarksAuthFailed(t *testing.T) {
	mb := startDovecot(t)
	u := mb.srv.Users[0]
	u.Password = "wrong-password"
	eng := engineFor(t, mb.srv.Addr, u, newMemBlobs(), nil)
	_, err := eng.Sync(context.Background(), "t1", "mail1")
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
	require.Contains(t, err.Error(), "check the username and password")
	require.NotContains(t, err.Error(), "wrong-password")
	var in inbox.Integration
	require.NoError(t, storeOf(eng).View(context.Background(), "t1", func(tx driver.Tx) error {
		in, err = tx.GetIntegration("mail1")
		return err
	}))
	require.Equal(t, inbox.IntegrationAuthFailed, in.Status)
}

// cutProxy forwards TCP to target and, on its first connection only,
// cuts both sides after cutAfter bytes from the server.
func cutProxy(t *testing.T, target string, cutAfter int64) (addr string, cut *atomic.Bool) {
	addr, cut, _ = dropProxy(t, target, cutAfter)
	return addr, cut
}

// dropProxy is cutProxy that also returns a function dropping every open
// connection at once.
func dropProxy(t *testing.T, target string, cutAfter int64) (addr string, cut *atomic.Bool, drop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	cut = &atomic.Bool{}
	var first atomic.Bool
	first.Store(true)
	var mu sync.Mutex
	var open []net.Conn
	drop = func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range open {
			c.Close()
		}
		open = nil
	}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			mu.Lock()
			open = append(open, client, server)
			mu.Unlock()
			limit := int64(-1)
			if first.Swap(false) {
				limit = cutAfter
			}
			var once sync.Once
			closeBoth := func() { once.Do(func() { client.Close(); server.Close() }) }
			go func() { io.Copy(server, client); closeBoth() }()
			go func() {
				if limit < 0 {
					io.Copy(client, server)
				} else {
					io.CopyN(client, server, limit)
					cut.Store(true)
				}
				closeBoth()
			}()
		}
	}()
	return ln.Addr().String(), cut, drop
}

func TestDovecotConnectionDropResumesFromCommittedCursor(t *testing.T) {
	cases := loadCorpus(t)
	mb := startDovecot(t)
	mb.loadCorpus(t, cases)
	proxy, cut := cutProxy(t, mb.srv.Addr, 60_000)
	eng := engineFor(t, proxy, mb.srv.Users[0], newMemBlobs(), map[string]string{})
	// Small batches so some are committed before the cut.
	require.NoError(t, storeOf(eng).Update(context.Background(), "t1", func(tx driver.Tx) error {
		in, err := tx.GetIntegration("mail1")
		if err != nil {
			return err
		}
		in.Config["batch_size"] = "5"
		return tx.UpdateIntegration(&in)
	}))
	ctx := context.Background()
	first, err := eng.Sync(ctx, "t1", "mail1")
	require.Error(t, err, "the connection was cut mid-fetch")
	require.ErrorIs(t, err, inbox.ErrTemporary)
	require.True(t, cut.Load())
	require.Positive(t, first.New, "batches before the cut were committed")
	require.Less(t, first.New, len(cases))

	second, err := eng.Sync(ctx, "t1", "mail1")
	require.NoError(t, err)
	require.Equal(t, len(cases), first.New+second.New, "nothing missing")
	require.Zero(t, second.Duplicates, "nothing fetched twice: the cursor covered what was committed")
	for providerID := range mb.uidFile {
		storedByProvider(t, eng, providerID)
	}
}

func TestDovecotIdleArrivalIsPulled(t *testing.T) {
	mb := startDovecot(t)
	eng := engineFor(t, mb.srv.Addr, mb.srv.Users[0], newMemBlobs(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var in inbox.Integration
	require.NoError(t, storeOf(eng).View(ctx, "t1", func(tx driver.Tx) error {
		var err error
		in, err = tx.GetIntegration("mail1")
		return err
	}))
	ch, err := eng.OpenChannel(ctx, in)
	require.NoError(t, err)
	watcher := ch.(inbox.Watcher)
	synced := make(chan inbox.SyncReport, 16)
	go watcher.Watch(ctx, func() {
		r, err := eng.Sync(ctx, "t1", "mail1")
		if err == nil {
			synced <- r
		}
	})
	select {
	case <-synced: // the catch-up pull after connecting
	case <-time.After(20 * time.Second):
		t.Fatal("no initial pull")
	}
	start := time.Now()
	mb.appendFile(t, "INBOX", "new", testMail(42))
	for {
		select {
		case r := <-synced:
			if r.New == 0 {
				continue
			}
			require.Equal(t, 1, r.New)
			t.Logf("IDLE arrival stored %v after APPEND", time.Since(start))
			storedByProvider(t, eng, func() string {
				for id := range mb.uidFile {
					return id
				}
				return ""
			}())
			return
		case <-time.After(20 * time.Second):
			t.Fatal("new mail was not pulled after IDLE notice")
		}
	}
}

func TestDovecotSendAppendsToSent(t *testing.T) {
	mb := startDovecot(t)
	smtpSrv := startSMTP(t)
	u := mb.srv.Users[0]
	ch, err := New(Options{
		IntegrationID: "mail1", Tenant: "t1",
		IMAP:       Server{Addr: mb.srv.Addr, Security: SecurityPlain},
		SMTP:       Server{Addr: smtpSrv.addr, Security: SecurityPlain},
		Auth:       Auth{Username: u.Name, Password: Secret(u.Password)},
		SMTPAuth:   &Auth{Username: smtpUser, Password: smtpPassword},
		Addresses:  []string{"support@maison-lumiere.example"},
		AppendSent: true,
	})
	require.NoError(t, err)
	id, err := ch.Send(context.Background(), sampleOutbound(nil))
	require.NoError(t, err)

	// The copy in Sent is read back as our own message, same Message-ID.
	col := &collector{}
	require.NoError(t, ch.Pull(context.Background(), "", col.deliver))
	msgs := col.messages()
	require.Len(t, msgs, 1)
	require.True(t, msgs[0].Own)
	require.Equal(t, id, msgs[0].MessageID)
	require.True(t, strings.Contains(msgs[0].ProviderID, "/Sent/"))
}

func TestDovecotUnparsableMailIsQuarantinedAndTheCursorMovesOn(t *testing.T) {
	mb := startDovecot(t)
	garbage := []byte("\x00\x01\x02 this is not a mail header\r\n\r\nbody\r\n")
	mb.appendFile(t, "INBOX", "garbage", garbage)
	mb.appendFile(t, "INBOX", "good", testMail(1))
	blobs := newMemBlobs()
	eng := engineFor(t, mb.srv.Addr, mb.srv.Users[0], blobs, nil)
	ctx := context.Background()

	report, err := eng.Sync(ctx, "t1", "mail1")
	require.NoError(t, err)
	require.Equal(t, 2, report.Fetched)
	require.Equal(t, 1, report.New)
	require.Equal(t, 1, report.Quarantined)

	var items []inbox.QuarantineItem
	require.NoError(t, storeOf(eng).View(ctx, "t1", func(tx driver.Tx) error {
		var err error
		items, err = tx.ListQuarantine(inbox.QuarantineQuery{})
		return err
	}))
	require.Len(t, items, 1)
	require.Contains(t, items[0].Error, "unparsable")
	rc, err := blobs.Get(ctx, items[0].RawKey)
	require.NoError(t, err, "the raw bytes are kept for replay")
	raw, _ := io.ReadAll(rc)
	require.Contains(t, string(raw), "this is not a mail header")

	// The cursor moved on: nothing is fetched again.
	report, err = eng.Sync(ctx, "t1", "mail1")
	require.NoError(t, err)
	require.Zero(t, report.Fetched)
}

func TestParseRawReplaysAQuarantinedMessage(t *testing.T) {
	blobs := newMemBlobs()
	p, err := NewReplayParser(ParseOptions{Blobs: blobs})
	require.NoError(t, err)
	eng := newTestEngine(t, inbox.Options{Blobs: blobs, Parsers: map[inbox.Source]inbox.RawParser{inbox.SourceEmail: p}})
	ctx := context.Background()
	// The channel once failed on this message: it was quarantined raw.
	_, err = blobs.Put(ctx, "t1/raw/1", strings.NewReader(string(testMail(7))))
	require.NoError(t, err)
	res, err := eng.Ingest(ctx, "t1", []inbox.Inbound{{
		IntegrationID: "mail1", Source: inbox.SourceEmail, ProviderID: "1/INBOX/7", RawKey: "t1/raw/1", ParseError: "parser bug",
	}})
	require.NoError(t, err)
	require.Equal(t, 1, res.Quarantined)
	var items []inbox.QuarantineItem
	require.NoError(t, storeOf(eng).View(ctx, "t1", func(tx driver.Tx) error {
		items, err = tx.ListQuarantine(inbox.QuarantineQuery{})
		return err
	}))
	require.Len(t, items, 1)

	item, err := eng.Replay(ctx, "t1", items[0].ID)
	require.NoError(t, err)
	require.Equal(t, inbox.IngestStored, item.Status)
	m := storedByProvider(t, eng, "1/INBOX/7")
	require.Equal(t, "msg-7@courriel.example", m.MessageID)
	require.Equal(t, "t1/raw/1", m.RawKey)
}

func TestReplayWithoutParserKeepsTheQuarantinedMessage(t *testing.T) {
	blobs := newMemBlobs()
	eng := newTestEngine(t, inbox.Options{Blobs: blobs})
	ctx := context.Background()
	_, err := blobs.Put(ctx, "t1/raw/1", strings.NewReader(string(testMail(7))))
	require.NoError(t, err)
	_, err = eng.Ingest(ctx, "t1", []inbox.Inbound{{
		IntegrationID: "mail1", Source: inbox.SourceEmail, ProviderID: "1/INBOX/7", RawKey: "t1/raw/1", ParseError: "parser bug",
	}})
	require.NoError(t, err)
	list := func() []inbox.QuarantineItem {
		var items []inbox.QuarantineItem
		require.NoError(t, storeOf(eng).View(ctx, "t1", func(tx driver.Tx) error {
			items, err = tx.ListQuarantine(inbox.QuarantineQuery{})
			return err
		}))
		return items
	}
	items := list()
	require.Len(t, items, 1)
	_, err = eng.Replay(ctx, "t1", items[0].ID)
	require.ErrorIs(t, err, inbox.ErrUnsupported)
	require.Contains(t, err.Error(), "no email parser")
	after := list()
	require.Len(t, after, 1)
	require.Equal(t, items[0].Error, after[0].Error, "the original error is kept")
}

func TestDovecotWatchPollsWithoutIdle(t *testing.T) {
	srv := dovecot.StartConfig(t, dovecot.Config{Extra: "imap_capability = IMAP4rev1 LITERAL+ SASL-IR UIDPLUS"})
	u := srv.Users[0]
	ch, err := New(Options{
		IntegrationID: "mail1", IMAP: Server{Addr: srv.Addr, Security: SecurityPlain},
		Auth: Auth{Username: u.Name, Password: Secret(u.Password)}, PollInterval: 20 * time.Millisecond,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	notified := make(chan struct{}, 64)
	done := make(chan error, 1)
	go func() { done <- ch.Watch(ctx, func() { notified <- struct{}{} }) }()
	for i := 0; i < 3; i++ {
		select {
		case <-notified:
		case <-time.After(20 * time.Second):
			t.Fatalf("only %d polls:\n%s", i, srv.Logs())
		}
	}
	cancel()
	require.NoError(t, <-done)
}

func TestDovecotWatchReconnectsAfterTheConnectionDrops(t *testing.T) {
	mb := startDovecot(t)
	proxy, _, drop := dropProxy(t, mb.srv.Addr, -1)
	u := mb.srv.Users[0]
	ch, err := New(Options{
		IntegrationID: "mail1", IMAP: Server{Addr: proxy, Security: SecurityPlain},
		Auth: Auth{Username: u.Name, Password: Secret(u.Password)},
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	notified := make(chan struct{}, 64)
	done := make(chan error, 1)
	go func() { done <- ch.Watch(ctx, func() { notified <- struct{}{} }) }()
	wait := func(what string) {
		select {
		case <-notified:
		case <-time.After(30 * time.Second):
			t.Fatalf("no notification %s", what)
		}
	}
	wait("after connecting")
	drop()
	// The watcher connects again and asks for a catch-up pull.
	wait("after reconnecting")
	time.Sleep(200 * time.Millisecond)
	mb.appendFile(t, "INBOX", "new", testMail(3))
	wait("for mail arriving on the new connection")
	cancel()
	require.NoError(t, <-done)
}
