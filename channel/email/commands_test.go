package email

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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

// TestDovecotFirstSyncFetchesEachBatchOnce: the first sync of a large
// folder costs the server one STATUS, one EXAMINE and one SEARCH per
// folder and one UID FETCH per batch, over that batch's UIDs only —
// nothing that makes the server walk the whole folder again for each
// batch (a FETCH of 1:*, a SELECT, STATUS or SEARCH per batch, a NOOP).
// A sync that finds nothing new asks each folder's STATUS and nothing
// else.
func TestDovecotFirstSyncFetchesEachBatchOnce(t *testing.T) {
	srv := dovecot.StartConfig(t, dovecot.Config{RawLog: true})
	u := srv.Users[0]
	const n, batch = 523, 50 // the default batch size
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
	var want []string
	for start := 1; start <= n; start += batch {
		want = append(want, fmt.Sprintf("%d:%d", start, min(start+batch-1, n)))
	}
	require.Equal(t, want, fetches, "one UID FETCH per batch, over the batch's UIDs")
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
