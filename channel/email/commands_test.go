package email

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/dovecot"
)

// sessionCommands waits until every IMAP session the server saw has
// logged out, and returns its commands by session, in order.
func sessionCommands(t *testing.T, srv *dovecot.Server, sessions int) [][]dovecot.Command {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cmds, err := srv.Commands()
		require.NoError(t, err)
		var out [][]dovecot.Command
		ended := 0
		for i, c := range cmds {
			if i == 0 || c.Session != cmds[i-1].Session {
				out = append(out, nil)
			}
			out[len(out)-1] = append(out[len(out)-1], c)
			if c.Name() == "LOGOUT" {
				ended++
			}
		}
		if len(out) == sessions && ended == sessions {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions, %d logged out; want %d: %v", len(out), ended, sessions, cmds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countNames counts a session's commands by name.
func countNames(cmds []dovecot.Command) map[string]int {
	n := map[string]int{}
	for _, c := range cmds {
		n[c.Name()]++
	}
	return n
}

// TestDovecotFirstSyncFetchesInFewCommands: the first sync of a large
// folder costs the server one STATUS, one EXAMINE and one SEARCH per
// folder and one UID FETCH per window of 1,000 messages, over that
// window's UIDs only. Dovecot may rescan the whole folder at the start of
// each command (it did for every batch of 50: 200 rescans of 10,000 files
// in a 10,000-message sync), so nothing may be asked per batch: no FETCH
// per batch, no FETCH of 1:*, no SELECT, STATUS or SEARCH per batch, no
// NOOP. A sync that finds nothing new asks each folder's STATUS and
// nothing else.
func TestDovecotFirstSyncFetchesInFewCommands(t *testing.T) {
	srv := dovecot.StartConfig(t, dovecot.Config{RawLog: true})
	u := srv.Users[0]
	const n = 2345
	require.NoError(t, srv.WriteMaildir(u.Name, "INBOX", n, func(i int) []byte {
		return fmt.Appendf(nil, "From: Client %d <client%d@example.org>\r\nTo: %s\r\nSubject: Commande %d\r\n"+
			"Message-ID: <batch-%d@example.org>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0100\r\n\r\nBonjour %d\r\n", i, i, u.Name, i, i, i)
	}))
	eng := engineFor(t, srv.Addr, u, newMemBlobs(), nil)
	ctx := context.Background()
	rep, err := eng.Sync(ctx, "t1", "mail1")
	require.NoError(t, err)
	require.Equal(t, n, rep.New)

	first := sessionCommands(t, srv, 1)[0]
	var fetches []string
	for _, c := range first {
		if c.Name() == "UID FETCH" {
			fetches = append(fetches, strings.Fields(c.Line)[2])
		}
	}
	require.Equal(t, []string{"1:1000", "1001:2000", "2001:2345"}, fetches, "one UID FETCH per window, over the window's UIDs")
	names := countNames(first)
	folders := 2 // INBOX and the Sent folder
	require.Equal(t, folders, names["STATUS"], "%v", first)
	require.Equal(t, folders, names["EXAMINE"], "%v", first)
	require.Equal(t, folders, names["UID SEARCH"], "%v", first)
	for _, c := range first {
		switch c.Name() {
		case "CAPABILITY", "ID", "ENABLE", "LIST", "STATUS", "EXAMINE", "UID SEARCH", "UID FETCH", "LOGOUT":
		default:
			t.Errorf("unexpected command %q in a first sync", c.Line)
		}
	}

	rep, err = eng.Sync(ctx, "t1", "mail1")
	require.NoError(t, err)
	require.Zero(t, rep.New)
	noop := sessionCommands(t, srv, 2)[1]
	names = countNames(noop)
	require.Equal(t, folders, names["STATUS"], "%v", noop)
	for _, c := range noop {
		switch c.Name() {
		case "CAPABILITY", "ID", "LIST", "STATUS", "LOGOUT":
		default:
			t.Errorf("unexpected command %q in a sync that finds nothing new", c.Line)
		}
	}
}

// TestPullCommitsEachBatchAsItsMessagesArrive: one FETCH covers many
// batches, yet each batch is delivered as soon as its messages have been
// read, with a cursor that covers exactly the messages delivered so far
// — a connection lost halfway through a FETCH loses no committed work and
// fetches nothing twice.
func TestPullCommitsEachBatchAsItsMessagesArrive(t *testing.T) {
	srv := dovecot.StartConfig(t, dovecot.Config{RawLog: true})
	u := srv.Users[0]
	const n, batch = 1234, 50
	require.NoError(t, srv.WriteMaildir(u.Name, "INBOX", n, func(i int) []byte {
		return fmt.Appendf(nil, "From: <c%d@example.org>\r\nSubject: %d\r\nMessage-ID: <pull-%d@example.org>\r\n\r\nBonjour\r\n", i, i, i)
	}))
	ch, err := New(Options{
		IntegrationID: "mail1", IMAP: Server{Addr: srv.Addr, Security: SecurityPlain},
		Auth: Auth{Username: u.Name, Password: Secret(u.Password)}, BatchSize: batch, SentFolder: "-",
	})
	require.NoError(t, err)
	var sizes []int
	var covered []uint32
	delivered := 0
	require.NoError(t, ch.Pull(context.Background(), "", func(_ context.Context, b inbox.Batch) (inbox.IngestResult, error) {
		cur, err := parseCursor(*b.Cursor)
		require.NoError(t, err)
		if len(b.Messages) == 0 {
			return inbox.IngestResult{}, nil // the folder's final position
		}
		delivered += len(b.Messages)
		sizes = append(sizes, len(b.Messages))
		covered = append(covered, cur.Folders["INBOX"].LastUID)
		require.Equal(t, uint32(delivered), cur.Folders["INBOX"].LastUID, "the cursor covers what was delivered, no more")
		return inbox.IngestResult{Stored: len(b.Messages)}, nil
	}))
	require.Equal(t, n, delivered)
	require.Len(t, sizes, (n+batch-1)/batch)
	for i, s := range sizes[:len(sizes)-1] {
		require.Equal(t, batch, s, "batch %d", i)
	}
	cmds := sessionCommands(t, srv, 1)[0]
	require.Equal(t, 2, countNames(cmds)["UID FETCH"], "%v", cmds)
}
