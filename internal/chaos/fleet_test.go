package chaos_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/chaos"
	"github.com/inboxkit/inboxkit/internal/dovecot"
	"github.com/inboxkit/inboxkit/storage/blob"
	"github.com/inboxkit/inboxkit/storage/postgres"
)

// Scale and timing of the fleet test: small leases and intervals keep it
// to a couple of minutes on a loaded two-core machine.
const (
	mailboxes          = 50
	mailboxesPerTenant = 5
	seedPerMailbox     = 10
	instances          = 3
	kills              = 20
	leaseTTL           = 4 * time.Second
	syncInterval       = 2 * time.Second
)

// fleet is the set of worker processes sharing one schema.
type fleet struct {
	t      *testing.T
	db     *sql.DB
	worker chaos.Worker
	dir    string

	mu      sync.Mutex
	alive   map[string]*exec.Cmd // instance → process
	killed  map[string]time.Time // instance → database time after it died
	started int
}

func (f *fleet) start() string {
	f.t.Helper()
	f.mu.Lock()
	f.started++
	name := "w" + strconv.Itoa(f.started)
	f.mu.Unlock()
	f.startAs(name)
	return name
}

// startAs starts an instance named name, as a process restarted in its
// deployment slot is.
func (f *fleet) startAs(name string) {
	f.t.Helper()
	w := f.worker
	w.Instance = name
	w.LogPath = filepath.Join(f.dir, name+".log")
	spec, err := json.Marshal(w)
	require.NoError(f.t, err)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), chaos.WorkerEnv+"="+string(spec))
	out, err := os.Create(filepath.Join(f.dir, name+".out"))
	require.NoError(f.t, err)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(f.t, cmd.Start())
	f.mu.Lock()
	f.alive[name] = cmd
	f.mu.Unlock()
}

// kill SIGKILLs an instance and records, on the database's clock, a time
// by which it had certainly stopped.
func (f *fleet) kill(name string) {
	f.t.Helper()
	f.mu.Lock()
	cmd := f.alive[name]
	delete(f.alive, name)
	f.mu.Unlock()
	require.NoError(f.t, cmd.Process.Kill())
	_ = cmd.Wait()
	var at time.Time
	require.NoError(f.t, f.db.QueryRow(`SELECT clock_timestamp()`).Scan(&at))
	f.mu.Lock()
	f.killed[name] = at
	f.mu.Unlock()
}

// stopAll ends every instance gracefully.
func (f *fleet) stopAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for name, cmd := range f.alive {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			f.t.Errorf("instance %s did not stop within 30 s of SIGTERM", name)
		}
		delete(f.alive, name)
	}
}

// midSync waits for an instance that is inside a Pull.
func (f *fleet) midSync(timeout time.Duration) (string, bool) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		rows, err := f.db.Query(`SELECT instance FROM chaos_pulls WHERE finished_at IS NULL ORDER BY started_at DESC`)
		require.NoError(f.t, err)
		var open []string
		for rows.Next() {
			var name string
			require.NoError(f.t, rows.Scan(&name))
			open = append(open, name)
		}
		require.NoError(f.t, rows.Err())
		f.mu.Lock()
		for _, name := range open {
			if f.alive[name] != nil {
				f.mu.Unlock()
				return name, true
			}
		}
		f.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	return "", false
}

func (f *fleet) storedCount() int {
	var n int
	require.NoError(f.t, f.db.QueryRow(`SELECT count(*) FROM messages`).Scan(&n))
	return n
}

func boxName(i int) string { return fmt.Sprintf("box%02d", i) }

func tenantOf(i int) inbox.TenantID { return inbox.TenantID(fmt.Sprintf("t%d", i/mailboxesPerTenant)) }

// feeder appends new mail to the mailboxes, round robin, and remembers
// what it delivered.
type feeder struct {
	addr    string
	clients map[int]*imapclient.Client
	mu      sync.Mutex
	sent    map[inbox.TenantID][]string // Message-IDs
}

func (fd *feeder) append(i, n int) error {
	c := fd.clients[i]
	if c == nil {
		var err error
		if c, err = imapclient.DialInsecure(fd.addr, nil); err != nil {
			return err
		}
		if err := c.Login(boxName(i), "pw-"+boxName(i)).Wait(); err != nil {
			return err
		}
		fd.clients[i] = c
	}
	id := fmt.Sprintf("live-%s-%d@chaos.example", boxName(i), n)
	raw := mail(id, fmt.Sprintf("client%d@example.org", n%7), boxName(i)+"@chaos.example", "Suivi "+strconv.Itoa(n))
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	if _, err := cmd.Wait(); err != nil {
		return err
	}
	fd.mu.Lock()
	fd.sent[tenantOf(i)] = append(fd.sent[tenantOf(i)], id)
	fd.mu.Unlock()
	return nil
}

// run appends one message every period until ctx ends.
func (fd *feeder) run(ctx context.Context, period time.Duration) error {
	t := time.NewTicker(period)
	defer t.Stop()
	for n := 0; ; n++ {
		if err := fd.append(n%mailboxes, n); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			for _, c := range fd.clients {
				_ = c.Close()
			}
			return nil
		case <-t.C:
		}
	}
}

// TestFleetSyncsEachMailboxOnceThroughKills runs three instances on one
// PostgreSQL over 50 Dovecot mailboxes, then SIGKILLs an instance in the
// middle of a sync 20 times while new mail keeps arriving.
func TestFleetSyncsEachMailboxOnceThroughKills(t *testing.T) {
	if testing.Short() {
		t.Skip("the fleet test runs for a few minutes")
	}
	requireServices(t, true)
	ctx := context.Background()

	users := make([]dovecot.User, mailboxes)
	for i := range users {
		users[i] = dovecot.User{Name: boxName(i), Password: "pw-" + boxName(i)}
	}
	srv := dovecot.StartConfig(t, dovecot.Config{Users: users})
	expected := map[inbox.TenantID][]string{}
	for i := range mailboxes {
		require.NoError(t, srv.WriteMaildir(boxName(i), "INBOX", seedPerMailbox, func(n int) []byte {
			id := fmt.Sprintf("seed-%s-%d@chaos.example", boxName(i), n)
			expected[tenantOf(i)] = append(expected[tenantOf(i)], id)
			return mail(id, fmt.Sprintf("client%d@example.org", n), boxName(i)+"@chaos.example", "Commande "+strconv.Itoa(n))
		}))
	}

	schema, db := freshSchema(t)
	store, err := postgres.Open(ctx, testDSN(), postgres.Options{Schema: schema})
	require.NoError(t, err)
	defer store.Close()
	require.NoError(t, chaos.InstallLogs(ctx, db))
	key := sealKey(t)
	sealer, err := chaos.Sealer(key)
	require.NoError(t, err)
	host, port, _ := net.SplitHostPort(srv.Addr)
	for i := range mailboxes {
		tenant := tenantOf(i)
		if i%mailboxesPerTenant == 0 {
			require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: tenant, Name: "Tenant " + string(tenant)}))
		}
		id := boxName(i)
		pw, err := sealer.Seal(ctx, []byte("pw-"+id), inbox.SealContext{Tenant: tenant, IntegrationID: id, Field: email.SecretPassword})
		require.NoError(t, err)
		require.NoError(t, store.Update(ctx, tenant, func(tx driver.Tx) error {
			return tx.CreateIntegration(&inbox.Integration{ID: id, TenantID: tenant, Kind: inbox.SourceEmail, Name: id, Enabled: true,
				Config: map[string]string{email.ConfigIMAPHost: host, email.ConfigIMAPPort: port, email.ConfigIMAPSecurity: "plain",
					email.ConfigUsername: id, email.ConfigAddress: id + "@chaos.example", email.ConfigBatchSize: "4", email.ConfigSentFolder: "-"},
				Secrets: map[string][]byte{email.SecretPassword: pw},
			})
		}))
	}

	blobDir := memoryDir(t)
	f := &fleet{t: t, db: db, dir: t.TempDir(), alive: map[string]*exec.Cmd{}, killed: map[string]time.Time{},
		worker: chaos.Worker{DSN: testDSN(), Schema: schema, SealKey: key, BlobDir: blobDir, Options: inbox.RunOptions{
			SyncInterval: syncInterval, LeaseTTL: leaseTTL, MaxConcurrentSyncs: 16, SyncTimeout: 30 * time.Second,
			ShutdownTimeout: 10 * time.Second, FollowUpInterval: time.Hour,
		}}}
	defer f.stopAll()
	defer func() {
		if t.Failed() {
			for _, name := range []string{"w1", "w2", "w3"} {
				if out, err := os.ReadFile(filepath.Join(f.dir, name+".out")); err == nil && len(out) > 0 {
					t.Logf("%s output:\n%s", name, out)
				}
			}
		}
	}()
	for range instances {
		f.start()
	}

	// Phase 1: three instances sync the seeded mail.
	seeded := mailboxes * seedPerMailbox
	began := time.Now()
	require.Eventually(t, func() bool { return f.storedCount() >= seeded }, 3*time.Minute, 100*time.Millisecond,
		"the seeded mail was not all stored")
	t.Logf("phase 1: %d messages of %d mailboxes stored by %d instances in %s", seeded, mailboxes, instances, time.Since(began).Round(time.Millisecond))

	// Phase 2: new mail keeps arriving while instances are killed mid-sync.
	fd := &feeder{addr: srv.Addr, clients: map[int]*imapclient.Client{}, sent: map[inbox.TenantID][]string{}}
	feedCtx, stopFeed := context.WithCancel(ctx)
	feedDone := make(chan error, 1)
	go func() { feedDone <- fd.run(feedCtx, 50*time.Millisecond) }()
	type killRecord struct {
		instance string
		at       time.Time
		orphans  []string
	}
	var records []killRecord
	for range kills {
		victim, ok := f.midSync(20 * time.Second)
		require.True(t, ok, "no instance was syncing")
		f.kill(victim)
		f.mu.Lock()
		at := f.killed[victim]
		f.mu.Unlock()
		var orphans []string
		rows, err := db.Query(`SELECT DISTINCT integration FROM chaos_pulls WHERE instance = $1 AND finished_at IS NULL`, victim)
		require.NoError(t, err)
		for rows.Next() {
			var o string
			require.NoError(t, rows.Scan(&o))
			orphans = append(orphans, o)
		}
		require.NoError(t, rows.Err())
		records = append(records, killRecord{victim, at, orphans})
		f.start()
		time.Sleep(1500 * time.Millisecond)
	}
	// Lag back to normal: every mailbox completes a sync that started after
	// the last kill, while mail still arrives.
	lastKill := records[len(records)-1].at
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, db.QueryRow(`SELECT count(DISTINCT integration) FROM chaos_pulls
			WHERE started_at > $1 AND finished_at IS NOT NULL AND err = ''`, lastKill).Scan(&n))
		return n == mailboxes
	}, time.Minute, 50*time.Millisecond)
	var recovered time.Time
	require.NoError(t, db.QueryRow(`SELECT max(first) FROM (SELECT min(finished_at) AS first FROM chaos_pulls
		WHERE started_at > $1 AND finished_at IS NOT NULL AND err = '' GROUP BY integration) x`, lastKill).Scan(&recovered))
	recovery := recovered.Sub(lastKill)
	// An orphaned mailbox waits for its lease to expire and the next
	// scan, then syncs: the bound allows two syncs as long as this
	// run's slowest tenth, so a busy machine slows both alike.
	pullsSoFar, err := chaos.ReadPulls(ctx, db)
	require.NoError(t, err)
	slowSync := slowTenth(pullsSoFar)
	bound := leaseTTL + syncInterval + 2*max(slowSync, time.Second)
	require.LessOrEqual(t, recovery, bound, "every mailbox synced again %s after the last kill (a slow sync took %s)", recovery, slowSync)
	stopFeed()
	require.NoError(t, <-feedDone)
	fd.mu.Lock()
	total := seeded
	for tenant, ids := range fd.sent {
		expected[tenant] = append(expected[tenant], ids...)
		total += len(ids)
	}
	fd.mu.Unlock()
	require.Eventually(t, func() bool { return f.storedCount() >= total }, 3*time.Minute, 100*time.Millisecond,
		"not all mail was stored after the kills")
	f.stopAll()

	// Every message exactly once.
	for tenant, ids := range expected {
		got := map[string]int{}
		require.NoError(t, store.View(ctx, tenant, func(tx driver.Tx) error {
			cursor := ""
			for {
				page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 200, Cursor: cursor})
				if err != nil {
					return err
				}
				for _, c := range page.Items {
					msgs, err := tx.ListMessages(c.ID)
					if err != nil {
						return err
					}
					for _, m := range msgs {
						got[m.MessageID]++
					}
				}
				if cursor = page.NextCursor; cursor == "" {
					return nil
				}
			}
		}))
		for _, id := range ids {
			require.Equal(t, 1, got[id], "tenant %s: message %s stored %d times", tenant, id, got[id])
			delete(got, id)
		}
		require.Empty(t, got, "tenant %s: messages nobody sent", tenant)
	}

	requireNoOrphanBlobs(t, store, blobDir)

	// Each mailbox synced by one instance at a time, leases handed over
	// only after they expired or were released.
	pulls, err := chaos.ReadPulls(ctx, db)
	require.NoError(t, err)
	leaseLog, err := chaos.ReadLeaseLog(ctx, db)
	require.NoError(t, err)
	require.Empty(t, chaos.Overlaps(pulls, f.killed))
	require.Empty(t, chaos.Handovers(leaseLog))

	// A killed instance's mailboxes are taken over within two lease
	// periods (the instance taking over may be killed in turn: the kills
	// come faster than leases expire, and all mail was stored anyway).
	var worstTakeover, worstResync time.Duration
	orphaned := 0
	for _, k := range records {
		for _, mailbox := range k.orphans {
			var takeover, resync time.Time
			for _, c := range leaseLog {
				if c.Name == "sync/"+mailbox && c.Op != "DELETE" && c.Holder != k.instance && c.At.After(k.at) {
					takeover = c.At
					break
				}
			}
			for _, p := range pulls {
				if p.Integration == mailbox && p.Instance != k.instance && p.Started.After(k.at) && !p.Finished.IsZero() {
					resync = p.Finished
					break
				}
			}
			require.False(t, takeover.IsZero(), "%s, orphaned by %s, was never taken over", mailbox, k.instance)
			require.False(t, resync.IsZero(), "%s, orphaned by %s, was never synced again", mailbox, k.instance)
			delay := takeover.Sub(k.at)
			require.LessOrEqual(t, delay, 2*leaseTTL, "%s, orphaned by %s, waited %s for another instance", mailbox, k.instance, delay)
			worstTakeover = max(worstTakeover, delay)
			worstResync = max(worstResync, resync.Sub(k.at))
			orphaned++
		}
	}
	require.NotZero(t, orphaned)
	t.Logf("phase 2: %d kills mid-sync, %d orphaned mailboxes, longest takeover %s, longest until a completed sync %s, all mailboxes synced %s after the last kill (lease %s); %d messages, %d pulls, %d lease changes",
		len(records), orphaned, worstTakeover.Round(time.Millisecond), worstResync.Round(time.Millisecond), recovery.Round(time.Millisecond), leaseTTL, total, len(pulls), len(leaseLog))
}

// requireNoOrphanBlobs collects what the killed instances left in the
// shared blob directory, once every instance has stopped, and checks that
// afterwards every file is one a stored record refers to, and every file
// a record refers to is there.
func requireNoOrphanBlobs(t *testing.T, store driver.Store, dir string) {
	t.Helper()
	ctx := context.Background()
	blobs, err := blob.Dir(dir)
	require.NoError(t, err)
	defer blobs.Close()
	files := func() (keys map[string]bool, temp int) {
		keys = map[string]bool{}
		require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if strings.HasPrefix(d.Name(), ".tmp-") {
				temp++
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			keys[filepath.ToSlash(rel)] = true
			return err
		}))
		return keys, temp
	}
	before, tempBefore := files()
	eng, err := inbox.New(inbox.Options{Store: store, Blobs: blobs})
	require.NoError(t, err)
	defer eng.Close()
	removedTemp, err := blobs.RemoveLeftovers(ctx, 0)
	require.NoError(t, err)
	// Every instance has stopped, so nothing is being committed: no
	// grace is needed.
	report, err := eng.CollectOrphanBlobs(ctx, inbox.OrphanOptions{Grace: time.Nanosecond})
	require.NoError(t, err)
	after, tempAfter := files()
	require.Zero(t, tempAfter, "temporary files left")

	referenced := map[string]bool{}
	tenants, err := store.ListTenants(ctx)
	require.NoError(t, err)
	for _, tenant := range tenants {
		require.NoError(t, store.View(ctx, tenant.ID, func(tx driver.Tx) error {
			return tx.BlobRefsFrom("", func(k string) error { referenced[k] = true; return nil })
		}))
	}
	require.NotEmpty(t, referenced, "the instances kept the raw messages")
	require.Equal(t, referenced, after, "after collection the files are exactly those the records refer to")
	t.Logf("blobs: %d files and %d temporary files after the kills, %d orphans and %d temporary files removed, %d kept",
		len(before), tempBefore, report.Removed, removedTemp, len(after))
}

// memoryDir is a temporary directory in memory (tmpfs) where there is one:
// the fleet test is about processes being killed, which loses nothing the
// kernel holds, so it need not wait for a busy disk at each batch's sync.
func memoryDir(t *testing.T) string {
	t.Helper()
	if info, err := os.Stat("/dev/shm"); err == nil && info.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "inboxkit-fleet-"); err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// slowTenth is the duration of a sync that 90 % of the completed syncs
// beat.
func slowTenth(pulls []chaos.Pull) time.Duration {
	var d []time.Duration
	for _, p := range pulls {
		if !p.Finished.IsZero() && p.Err == "" {
			d = append(d, p.Finished.Sub(p.Started))
		}
	}
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)*9/10]
}
