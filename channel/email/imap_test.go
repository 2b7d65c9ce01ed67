package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

const (
	imapUser     = "support@maison-lumiere.example"
	imapPassword = "imap-test-pass"
)

// startMemIMAP runs go-imap's in-memory server on loopback with INBOX and
// Sent.
func startMemIMAP(t *testing.T) string {
	t.Helper()
	return startMemIMAPWithCaps(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
}

func startMemIMAPWithCaps(t *testing.T, caps imap.CapSet) string {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(imapUser, imapPassword)
	require.NoError(t, u.Create("INBOX", nil))
	require.NoError(t, u.Create("Sent", nil))
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		InsecureAuth: true,
		Caps:         caps,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// imapAdmin is a plain client used by tests to shape a mailbox.
func imapAdmin(t *testing.T, addr, user, pass string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	require.NoError(t, err)
	require.NoError(t, c.Login(user, pass).Wait())
	t.Cleanup(func() { c.Close() })
	return c
}

func appendMail(t *testing.T, c *imapclient.Client, mailbox string, raw []byte) {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Time: time.Date(2024, 3, 20, 10, 0, 0, 0, time.UTC)})
	_, err := cmd.Write(raw)
	require.NoError(t, err)
	require.NoError(t, cmd.Close())
	_, err = cmd.Wait()
	require.NoError(t, err)
}

func testMail(i int) []byte {
	return []byte(fmt.Sprintf("From: Client %d <client%d@courriel.example>\r\nTo: support@maison-lumiere.example\r\n"+
		"Subject: Commande %d\r\nMessage-ID: <msg-%d@courriel.example>\r\nDate: Wed, 20 Mar 2024 10:%02d:00 +0100\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour, où en est ma commande %d ?\r\n", i, i, i, i, i%60, i))
}

func newIMAPChannel(t *testing.T, addr string, mutate func(*Options)) *Channel {
	t.Helper()
	o := Options{
		IntegrationID: "mail1", Tenant: "t1",
		IMAP:      Server{Addr: addr, Security: SecurityPlain},
		Auth:      Auth{Username: imapUser, Password: imapPassword},
		Addresses: []string{imapUser},
		Blobs:     newMemBlobs(),
	}
	if mutate != nil {
		mutate(&o)
	}
	ch, err := New(o)
	require.NoError(t, err)
	return ch
}

// collector records delivered batches like an engine would commit them.
type collector struct {
	mu      sync.Mutex
	batches []inbox.Batch
	cursor  string
	// failAt makes the n-th delivery (1-based) fail.
	failAt int
}

func (c *collector) deliver(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failAt > 0 && len(c.batches)+1 == c.failAt {
		c.failAt = 0
		return inbox.IngestResult{}, errors.New("store unavailable")
	}
	c.batches = append(c.batches, b)
	if b.Cursor != nil {
		c.cursor = *b.Cursor
	}
	return inbox.IngestResult{Stored: len(b.Messages)}, nil
}

func (c *collector) messages() []inbox.Inbound {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []inbox.Inbound
	for _, b := range c.batches {
		out = append(out, b.Messages...)
	}
	return out
}

func TestPullFetchesNewMailInBatchesWithCursor(t *testing.T) {
	addr := startMemIMAP(t)
	admin := imapAdmin(t, addr, imapUser, imapPassword)
	for i := 1; i <= 5; i++ {
		appendMail(t, admin, "INBOX", testMail(i))
	}
	ch := newIMAPChannel(t, addr, func(o *Options) { o.BatchSize = 2 })
	ctx := context.Background()

	col := &collector{}
	require.NoError(t, ch.Pull(ctx, "", col.deliver))
	msgs := col.messages()
	require.Len(t, msgs, 5)
	for i, m := range msgs {
		require.Equal(t, fmt.Sprintf("msg-%d@courriel.example", i+1), m.MessageID)
		require.Equal(t, "mail1", m.IntegrationID)
		require.Equal(t, inbox.SourceEmail, m.Source)
		require.Regexp(t, `^\d+/INBOX/\d+$`, m.ProviderID)
		require.NotEmpty(t, m.RawKey)
		require.Contains(t, m.Text, "où en est ma commande")
	}
	require.GreaterOrEqual(t, len(col.batches), 3, "batches of 2")
	for _, b := range col.batches {
		require.NotNil(t, b.Cursor, "every batch carries its cursor")
		require.LessOrEqual(t, len(b.Messages), 2)
	}

	// Nothing new: the next pull fetches nothing.
	again := &collector{}
	require.NoError(t, ch.Pull(ctx, col.cursor, again.deliver))
	require.Empty(t, again.messages())

	// New mail: only it is fetched.
	appendMail(t, admin, "INBOX", testMail(6))
	more := &collector{}
	require.NoError(t, ch.Pull(ctx, col.cursor, more.deliver))
	require.Len(t, more.messages(), 1)
	require.Equal(t, "msg-6@courriel.example", more.messages()[0].MessageID)

	// Fetching never marked anything read.
	_, err := admin.Select("INBOX", nil).Wait()
	require.NoError(t, err)
	seen, err := admin.UIDSearch(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	require.NoError(t, err)
	require.Empty(t, seen.AllUIDs())
}

func TestPullResumesFromTheLastCommittedBatch(t *testing.T) {
	addr := startMemIMAP(t)
	admin := imapAdmin(t, addr, imapUser, imapPassword)
	for i := 1; i <= 6; i++ {
		appendMail(t, admin, "INBOX", testMail(i))
	}
	ch := newIMAPChannel(t, addr, func(o *Options) { o.BatchSize = 2 })
	col := &collector{failAt: 2}
	err := ch.Pull(context.Background(), "", col.deliver)
	require.ErrorContains(t, err, "store unavailable")
	require.Len(t, col.messages(), 2, "first batch committed")

	rest := &collector{}
	require.NoError(t, ch.Pull(context.Background(), col.cursor, rest.deliver))
	var ids []string
	for _, m := range rest.messages() {
		ids = append(ids, m.MessageID)
	}
	require.Equal(t, []string{"msg-3@courriel.example", "msg-4@courriel.example", "msg-5@courriel.example", "msg-6@courriel.example"}, ids)
}

func TestPullMarksSentMailAsOurOwn(t *testing.T) {
	addr := startMemIMAP(t)
	admin := imapAdmin(t, addr, imapUser, imapPassword)
	appendMail(t, admin, "INBOX", testMail(1))
	reply := []byte("From: Support <support@maison-lumiere.example>\r\nTo: client1@courriel.example\r\nSubject: Re: Commande 1\r\n" +
		"Message-ID: <reply-1@maison-lumiere.example>\r\nIn-Reply-To: <msg-1@courriel.example>\r\n\r\nElle part demain.\r\n")
	appendMail(t, admin, "Sent", reply)

	col := &collector{}
	require.NoError(t, newIMAPChannel(t, addr, nil).Pull(context.Background(), "", col.deliver))
	msgs := col.messages()
	require.Len(t, msgs, 2)
	require.False(t, msgs[0].Own)
	require.True(t, msgs[1].Own, "mail from the Sent folder is our own")
	require.Regexp(t, `^\d+/Sent/\d+$`, msgs[1].ProviderID)
}

func TestPullWrongPasswordIsUnauthorized(t *testing.T) {
	addr := startMemIMAP(t)
	ch := newIMAPChannel(t, addr, func(o *Options) { o.Auth.Password = "not-the-password" })
	err := ch.Pull(context.Background(), "", (&collector{}).deliver)
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
	require.Contains(t, err.Error(), "refused the login of \""+imapUser+"\"")
	require.NotContains(t, err.Error(), "not-the-password")
}

func TestPullFirstSyncWindow(t *testing.T) {
	addr := startMemIMAP(t)
	admin := imapAdmin(t, addr, imapUser, imapPassword)
	appendMail(t, admin, "INBOX", testMail(1)) // internal date 2024-03-20
	ch := newIMAPChannel(t, addr, func(o *Options) { o.Since = 30 * 24 * time.Hour })
	col := &collector{}
	require.NoError(t, ch.Pull(context.Background(), "", col.deliver))
	require.Empty(t, col.messages(), "mail older than the window is not imported")
	require.NotEmpty(t, col.cursor, "the window's end is recorded")

	appendMail(t, admin, "INBOX", testMail(2))
	more := &collector{}
	require.NoError(t, ch.Pull(context.Background(), col.cursor, more.deliver))
	require.Len(t, more.messages(), 1, "after the first sync every new message is fetched")
}

func TestWatchNotifiesOnArrival(t *testing.T) {
	addr := startMemIMAP(t)
	admin := imapAdmin(t, addr, imapUser, imapPassword)
	ch := newIMAPChannel(t, addr, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	notified := make(chan struct{}, 16)
	done := make(chan error, 1)
	go func() { done <- ch.Watch(ctx, func() { notified <- struct{}{} }) }()

	waitNotify := func(what string) {
		select {
		case <-notified:
		case <-time.After(20 * time.Second):
			t.Fatalf("no notification %s", what)
		}
	}
	waitNotify("after connecting")
	// Let IDLE start, then deliver.
	time.Sleep(200 * time.Millisecond)
	appendMail(t, admin, "INBOX", testMail(1))
	waitNotify("after new mail")
	cancel()
	require.NoError(t, <-done)
}

func TestPullCursorIsOpaqueButValidated(t *testing.T) {
	addr := startMemIMAP(t)
	admin := imapAdmin(t, addr, imapUser, imapPassword)
	appendMail(t, admin, "INBOX", testMail(1))
	col := &collector{}
	// A cursor from something else starts over rather than failing forever.
	require.NoError(t, newIMAPChannel(t, addr, nil).Pull(context.Background(), "garbage", col.deliver))
	require.Len(t, col.messages(), 1)
	_, err := parseCursor(`{"v":99}`)
	require.Error(t, err)
	c, err := parseCursor(col.cursor)
	require.NoError(t, err)
	require.Equal(t, uint32(1), c.Folders["INBOX"].LastUID)
	require.True(t, bytes.Contains([]byte(col.cursor), []byte(`"uidvalidity"`)))
}

// syncFailBlobs reads every byte, then fails as a disk sync would.
type syncFailBlobs struct{ countingBlobs }

func (s *syncFailBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	n, _ := io.Copy(io.Discard, r)
	return n, errors.New("fsync: input/output error")
}

func TestPullCommitsNothingWhenBlobWritesFail(t *testing.T) {
	addr := startMemIMAP(t)
	admin := imapAdmin(t, addr, imapUser, imapPassword)
	appendMail(t, admin, "INBOX", testMail(1))
	appendMail(t, admin, "INBOX", testMail(2))
	ch := newIMAPChannel(t, addr, func(o *Options) { o.Blobs = &syncFailBlobs{countingBlobs{sizes: map[string]int64{}}} })
	col := &collector{}
	err := ch.Pull(context.Background(), "", col.deliver)
	require.ErrorContains(t, err, "input/output error")
	require.Empty(t, col.batches, "a batch whose raw mail is not durable is not committed")
}
