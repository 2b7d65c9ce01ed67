package email

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/dovecot"
	"github.com/inboxkit/inboxkit/storage/blob"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

// Environment of the crash-test child process.
const (
	crashEnvDB    = "INBOXKIT_CRASH_DB"
	crashEnvBlobs = "INBOXKIT_CRASH_BLOBS"
)

// crashStore opens the SQLite store and blob directory shared by the
// parent and the children of the crash test.
func crashStore(t *testing.T, db, blobs string) (*sqlite.Store, *blob.DirStore, *inbox.Engine) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	require.NoError(t, err)
	dir, err := blob.Dir(blobs)
	require.NoError(t, err)
	factory := Factory(FactoryOptions{Blobs: dir})
	if os.Getenv(crashEnvDB) != "" {
		factory = throttled(factory)
	}
	eng, err := inbox.New(inbox.Options{
		// Every child is the same deployment restarted after a crash: with
		// a stable instance name it takes back the sync lease its killed
		// predecessor held instead of waiting for it to expire.
		Instance: "crash-test-worker",
		Store:    store, Blobs: dir, Sealer: plainSealer{},
		Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: factory},
	})
	require.NoError(t, err)
	return store, dir, eng
}

// crashBatchDelay paces the child's batches so that, however fast the
// machine, the 2,000-message sync lasts long enough for twenty kills to
// land in the middle of it.
const crashBatchDelay = 100 * time.Millisecond

// throttled wraps a factory so its channel waits crashBatchDelay before
// handing each batch to the engine.
func throttled(f inbox.ChannelFactory) inbox.ChannelFactory {
	return func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
		ch, err := f(ctx, in, secret)
		if err != nil {
			return nil, err
		}
		return slowPuller{ch.(inbox.Puller)}, nil
	}
}

type slowPuller struct{ inbox.Puller }

func (p slowPuller) Pull(ctx context.Context, cursor string, deliver inbox.DeliverFunc) error {
	return p.Puller.Pull(ctx, cursor, func(ctx context.Context, b inbox.Batch) (inbox.IngestResult, error) {
		select {
		case <-time.After(crashBatchDelay):
		case <-ctx.Done():
			return inbox.IngestResult{}, ctx.Err()
		}
		return deliver(ctx, b)
	})
}

// TestCrashSyncChild is the process the crash test kills: it syncs until
// the mailbox is done. It does nothing in a normal test run.
func TestCrashSyncChild(t *testing.T) {
	db := os.Getenv(crashEnvDB)
	if db == "" {
		t.Skip("run by TestDovecotCrashSafety only")
	}
	store, dir, eng := crashStore(t, db, os.Getenv(crashEnvBlobs))
	defer store.Close()
	defer dir.Close()
	for {
		report, err := eng.Sync(context.Background(), "t1", "mail1")
		require.NoError(t, err)
		if report.Fetched == 0 {
			return
		}
	}
}

// TestDovecotCrashSafety kills a syncing process with SIGKILL at random
// moments, at least 20 times, over a 2,000-message mailbox, then lets a
// last run finish and proves that every message is stored exactly once
// with its raw bytes.
func TestDovecotCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	const messages, kills = 2000, 20
	srv := dovecot.Start(t)
	u := srv.Users[0]
	require.NoError(t, srv.WriteMaildir(u.Name, "INBOX", messages, func(i int) []byte {
		return []byte(fmt.Sprintf("From: Client %d <client%d@courriel.example>\r\nTo: support@maison-lumiere.example\r\n"+
			"Subject: Commande %d\r\nMessage-ID: <crash-%d@courriel.example>\r\nDate: Wed, 20 Mar 2024 10:00:00 +0100\r\n\r\n"+
			"Bonjour, où en est ma commande %d ?\r\n", i%300, i%300, i, i, i))
	}))

	dir := t.TempDir()
	db, blobsDir := filepath.Join(dir, "inbox.db"), filepath.Join(dir, "blobs")
	store, blobs, _ := crashStore(t, db, blobsDir)
	ctx := context.Background()
	require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: "t1", Name: "crash"}))
	host, port, _ := net.SplitHostPort(srv.Addr)
	require.NoError(t, store.Update(ctx, "t1", func(tx driver.Tx) error {
		return tx.CreateIntegration(&inbox.Integration{
			ID: "mail1", TenantID: "t1", Kind: inbox.SourceEmail, Name: "support", Enabled: true,
			Config: map[string]string{
				ConfigIMAPHost: host, ConfigIMAPPort: port, ConfigIMAPSecurity: "plain", ConfigUsername: u.Name,
				ConfigAddress: "support@maison-lumiere.example", ConfigBatchSize: "20", ConfigSentFolder: "-",
			},
			Secrets: map[string][]byte{SecretPassword: []byte(u.Password)},
		})
	}))
	require.NoError(t, store.Close())
	require.NoError(t, blobs.Close())

	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSyncChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnvDB+"="+db, crashEnvBlobs+"="+blobsDir)
		return cmd
	}
	// committed reads the cursor's position between runs.
	committed := func() uint32 {
		st, err := sqlite.Open(ctx, db, sqlite.Options{})
		require.NoError(t, err)
		defer st.Close()
		var in inbox.Integration
		require.NoError(t, st.View(ctx, "t1", func(tx driver.Tx) error {
			var err error
			in, err = tx.GetIntegration("mail1")
			return err
		}))
		c, err := parseCursor(in.Cursor)
		require.NoError(t, err)
		return c.Folders["INBOX"].LastUID
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	killed, midSync := 0, 0
	var progress []uint32
	for attempt := 0; killed < kills; attempt++ {
		require.Less(t, attempt, 200, "the child keeps finishing before it can be killed")
		cmd := child()
		var childOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &childOut, &childOut
		require.NoError(t, cmd.Start())
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			// Finished before the kill: the mailbox is done; later
			// children only find nothing new, still worth killing.
			require.NoError(t, err, "child output:\n%s", childOut.String())
		case <-time.After(time.Duration(100+r.IntN(900)) * time.Millisecond):
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			<-exited
			killed++
			at := committed()
			progress = append(progress, at)
			if at > 0 && at < messages {
				midSync++
			}
		}
	}
	t.Logf("committed position after each kill: %v", progress)
	require.GreaterOrEqual(t, midSync, 5, "kills landed in the middle of the sync")
	out, err := child().CombinedOutput()
	require.NoError(t, err, "final run: %s", out)

	store, blobs, eng := crashStore(t, db, blobsDir)
	defer store.Close()
	defer blobs.Close()
	var in inbox.Integration
	require.NoError(t, store.View(ctx, "t1", func(tx driver.Tx) error {
		var err error
		in, err = tx.GetIntegration("mail1")
		return err
	}))
	cur, err := parseCursor(in.Cursor)
	require.NoError(t, err)
	inboxCursor := cur.Folders["INBOX"]
	require.Equal(t, uint32(messages), inboxCursor.LastUID)

	// 0 missing: every UID is stored, with its raw message.
	ids := map[string]bool{}
	require.NoError(t, store.View(ctx, "t1", func(tx driver.Tx) error {
		for uid := 1; uid <= messages; uid++ {
			m, err := tx.GetMessageByProviderID("mail1", fmt.Sprintf("%d/INBOX/%d", inboxCursor.UIDValidity, uid))
			if err != nil {
				return fmt.Errorf("uid %d: %w", uid, err)
			}
			ids[m.MessageID] = true
			rc, err := eng.Blobs().Get(ctx, m.RawKey)
			if err != nil {
				return fmt.Errorf("raw message of uid %d: %w", uid, err)
			}
			rc.Close()
		}
		return nil
	}))
	require.Len(t, ids, messages)

	// 0 duplicates: the conversations hold exactly the messages.
	total := 0
	require.NoError(t, store.View(ctx, "t1", func(tx driver.Tx) error {
		q := inbox.ConversationQuery{Limit: 500}
		for {
			page, err := tx.ListConversations(q)
			if err != nil {
				return err
			}
			for _, c := range page.Items {
				msgs, err := tx.ListMessages(c.ID)
				if err != nil {
					return err
				}
				total += len(msgs)
			}
			if page.NextCursor == "" {
				return nil
			}
			q.Cursor = page.NextCursor
		}
	}))
	require.Equal(t, messages, total, "no message is stored twice")
	t.Logf("%d kills, %d messages, cursor %s", killed, total, strconv.Quote(in.Cursor))
}
