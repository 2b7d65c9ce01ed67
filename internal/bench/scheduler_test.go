package bench_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/dovecot"
	"github.com/inboxkit/inboxkit/internal/testenv"
	"github.com/inboxkit/inboxkit/storage/memstore"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

// plainSealer keeps secrets as they are: sealing is not what is measured.
type plainSealer struct{}

func (plainSealer) Seal(_ context.Context, p []byte, _ inbox.SealContext) ([]byte, error) {
	return p, nil
}
func (plainSealer) Open(_ context.Context, c []byte, _ inbox.SealContext) ([]byte, error) {
	return c, nil
}

// settableClock lets a benchmark make every integration due at once.
type settableClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *settableClock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// idlePuller is a mailbox with nothing new: Pull returns at once.
type idlePuller struct {
	id    string
	pulls *atomic.Int64
}

func (p idlePuller) Kind() inbox.Source    { return inbox.SourceEmail }
func (p idlePuller) IntegrationID() string { return p.id }
func (p idlePuller) Pull(context.Context, string, inbox.DeliverFunc) error {
	p.pulls.Add(1)
	return nil
}

func benchStores(b *testing.B) map[string]func(b *testing.B) driver.Store {
	return map[string]func(b *testing.B) driver.Store{
		"memstore": func(b *testing.B) driver.Store { return memstore.New() },
		"sqlite": func(b *testing.B) driver.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "inbox.db"), sqlite.Options{Synchronous: "NORMAL"})
			require.NoError(b, err)
			b.Cleanup(func() { _ = s.Close() })
			return s
		},
		"postgres": func(b *testing.B) driver.Store {
			dsn := os.Getenv("INBOXKIT_TEST_POSTGRES")
			if dsn == "" {
				dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				testenv.Missing(b, "PostgreSQL not reachable at INBOXKIT_TEST_POSTGRES: %v", err)
			}
			rb := make([]byte, 6)
			_, _ = rand.Read(rb)
			schema := "inboxkit_bench_" + hex.EncodeToString(rb)
			b.Cleanup(func() {
				_, _ = conn.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
				_ = conn.Close(context.Background())
			})
			s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
			require.NoError(b, err)
			b.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
}

// BenchmarkSchedulerIdleTick measures what Engine.Run costs per
// integration per tick when the mailboxes have nothing new: scanning
// tenants and integrations, the lease (taken, checked, released), the
// sync bookkeeping (status, report, event). One op is one tick over 500
// integrations of 50 tenants (8 at a time); cpu-ms/integration is this
// process's CPU time per integration (the database server's, for
// PostgreSQL, is not included).
func BenchmarkSchedulerIdleTick(b *testing.B) {
	const tenants, perTenant = 50, 10
	stores := benchStores(b)
	for _, name := range []string{"memstore", "sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			store := stores[name](b)
			var pulls atomic.Int64
			eng, err := inbox.New(inbox.Options{Store: store, Channels: map[inbox.Source]inbox.ChannelFactory{
				inbox.SourceEmail: func(_ context.Context, in inbox.Integration, _ inbox.SecretFunc) (inbox.Channel, error) {
					return idlePuller{id: in.ID, pulls: &pulls}, nil
				}}})
			require.NoError(b, err)
			defer eng.Close()
			for t := range tenants {
				id := inbox.TenantID(fmt.Sprintf("t%02d", t))
				require.NoError(b, store.CreateTenant(ctx, &inbox.Tenant{ID: id, Name: string(id)}))
				require.NoError(b, store.Update(ctx, id, func(tx driver.Tx) error {
					for i := range perTenant {
						if err := tx.CreateIntegration(&inbox.Integration{ID: "m" + strconv.Itoa(i), TenantID: id, Kind: inbox.SourceEmail,
							Name: "mailbox", Enabled: true}); err != nil {
							return err
						}
					}
					return nil
				}))
			}
			const n = tenants * perTenant
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			// With an interval under the scheduler's one second of slack,
			// every integration is due at every tick.
			go func() {
				_ = eng.Run(runCtx, inbox.RunOptions{SyncInterval: 200 * time.Millisecond, MaxConcurrentSyncs: 8,
					FollowUpInterval: time.Hour, OutboxInterval: time.Hour})
				close(done)
			}()
			defer func() { stop(); <-done }()
			waitPulls := func(want int64) {
				for pulls.Load() < want {
					time.Sleep(time.Millisecond)
				}
			}
			waitPulls(n)
			b.ResetTimer()
			cpu := processCPU()
			for i := range b.N {
				waitPulls(int64(i+2) * n)
			}
			b.StopTimer()
			used := processCPU() - cpu
			b.ReportMetric(float64(used.Microseconds())/1000/float64(b.N*n), "cpu-ms/integration")
		})
	}
}

// requireDovecot ends the benchmark when Dovecot is not installed.
func requireDovecot(b *testing.B) {
	if _, err := os.Stat(dovecot.Binary); err != nil {
		testenv.Missing(b, "dovecot not installed at %s", dovecot.Binary)
	}
}

func mailbox(i int) string { return fmt.Sprintf("box%04d", i) }

func mail(id, to string) []byte {
	return fmt.Appendf(nil, "From: client@example.org\r\nTo: %s\r\nSubject: Commande %s\r\nMessage-ID: <%s>\r\n"+
		"Date: Mon, 02 Mar 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, où en est ma commande ?\r\n", to, id, id)
}

// countingFactory counts the IMAP connections open at once (one per Pull).
func countingFactory(next inbox.ChannelFactory, open, peak, pulls *atomic.Int64) inbox.ChannelFactory {
	return func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
		ch, err := next(ctx, in, secret)
		if err != nil {
			return nil, err
		}
		return countingPuller{Puller: ch.(inbox.Puller), open: open, peak: peak, pulls: pulls}, nil
	}
}

type countingPuller struct {
	inbox.Puller
	open, peak, pulls *atomic.Int64
}

func (p countingPuller) Pull(ctx context.Context, cursor string, deliver inbox.DeliverFunc) error {
	n := p.open.Add(1)
	for {
		cur := p.peak.Load()
		if n <= cur || p.peak.CompareAndSwap(cur, n) {
			break
		}
	}
	defer p.open.Add(-1)
	defer p.pulls.Add(1)
	return p.Puller.Pull(ctx, cursor, deliver)
}

// BenchmarkPollMailboxes polls many Dovecot mailboxes with at most 50 IMAP
// connections, on SQLite. The first round fetches two messages per
// mailbox; each op is a later round over mailboxes with nothing new.
// INBOXKIT_BENCH_MAILBOXES sets the count (default 1000).
func BenchmarkPollMailboxes(b *testing.B) {
	requireDovecot(b)
	count := 1000
	if v, err := strconv.Atoi(os.Getenv("INBOXKIT_BENCH_MAILBOXES")); err == nil && v > 0 {
		count = v
	}
	const maxConns = 50
	ctx := context.Background()
	users := make([]dovecot.User, count)
	for i := range users {
		users[i] = dovecot.User{Name: mailbox(i), Password: "pw"}
	}
	srv := dovecot.StartConfig(b, dovecot.Config{Users: users})
	for i := range count {
		require.NoError(b, srv.WriteMaildir(mailbox(i), "INBOX", 2, func(n int) []byte {
			return mail(fmt.Sprintf("%s-%d@bench.example", mailbox(i), n), mailbox(i)+"@bench.example")
		}))
	}
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "inbox.db"), sqlite.Options{Synchronous: "NORMAL"})
	require.NoError(b, err)
	defer store.Close()
	host, port, _ := net.SplitHostPort(srv.Addr)
	for t := 0; t < count/10; t++ {
		tenant := inbox.TenantID(fmt.Sprintf("t%03d", t))
		require.NoError(b, store.CreateTenant(ctx, &inbox.Tenant{ID: tenant, Name: string(tenant)}))
		require.NoError(b, store.Update(ctx, tenant, func(tx driver.Tx) error {
			for i := t * 10; i < t*10+10 && i < count; i++ {
				if err := tx.CreateIntegration(&inbox.Integration{ID: mailbox(i), TenantID: tenant, Kind: inbox.SourceEmail, Name: mailbox(i), Enabled: true,
					Config: map[string]string{email.ConfigIMAPHost: host, email.ConfigIMAPPort: port, email.ConfigIMAPSecurity: "plain",
						email.ConfigUsername: mailbox(i), email.ConfigAddress: mailbox(i) + "@bench.example", email.ConfigSentFolder: "-"},
					Secrets: map[string][]byte{email.SecretPassword: []byte("pw")}}); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	var open, peak, pulls atomic.Int64
	clock := &settableClock{}
	eng, err := inbox.New(inbox.Options{Store: store, Sealer: plainSealer{}, Clock: clock, Channels: map[inbox.Source]inbox.ChannelFactory{
		inbox.SourceEmail: countingFactory(email.Factory(email.FactoryOptions{}), &open, &peak, &pulls)}})
	require.NoError(b, err)
	defer eng.Close()

	// round runs the scheduler until every mailbox has been polled once
	// more and returns how long that took.
	round := func() time.Duration {
		clock.advance(2 * time.Hour) // every mailbox is due
		start := time.Now()
		want := pulls.Load() + int64(count)
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			_ = eng.Run(runCtx, inbox.RunOptions{SyncInterval: time.Hour, MaxConcurrentSyncs: maxConns, FollowUpInterval: time.Hour, OutboxInterval: time.Hour})
			close(done)
		}()
		for pulls.Load() < want {
			time.Sleep(5 * time.Millisecond)
		}
		took := time.Since(start)
		stop()
		<-done
		return took
	}
	first := round()
	var stored int
	require.NoError(b, store.View(ctx, "t000", func(tx driver.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 100})
		stored = len(page.Items)
		return err
	}))
	require.Equal(b, 20, stored, "the first round fetched the mail")
	b.ResetTimer()
	cpu := processCPU()
	var total time.Duration
	for range b.N {
		total += round()
	}
	b.StopTimer()
	b.ReportMetric(first.Seconds(), "s-first-round")
	b.ReportMetric(total.Seconds()/float64(b.N), "s-idle-round")
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/1000/float64(b.N*count), "cpu-ms/mailbox")
	b.ReportMetric(float64(peak.Load()), "peak-connections")
	b.ReportMetric(float64(count), "mailboxes")
}

// BenchmarkNewMailVisible measures the time from an IMAP APPEND to the
// engine's message.received event: with IDLE (Watch), and polling every
// PollInterval. Polling's worst case is the interval plus one sync.
func BenchmarkNewMailVisible(b *testing.B) {
	requireDovecot(b)
	for _, tc := range []struct {
		name string
		opts inbox.RunOptions
	}{
		{"idle", inbox.RunOptions{Watch: true, SyncInterval: time.Hour}},
		{"poll-2s", inbox.RunOptions{SyncInterval: 2 * time.Second}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			user := dovecot.User{Name: "support", Password: "pw"}
			srv := dovecot.StartConfig(b, dovecot.Config{Users: []dovecot.User{user}})
			store := memstore.New()
			eng, err := inbox.New(inbox.Options{Store: store, Sealer: plainSealer{},
				Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: email.Factory(email.FactoryOptions{})}})
			require.NoError(b, err)
			defer eng.Close()
			require.NoError(b, store.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "acme"}))
			host, port, _ := net.SplitHostPort(srv.Addr)
			require.NoError(b, store.Update(ctx, "acme", func(tx driver.Tx) error {
				return tx.CreateIntegration(&inbox.Integration{ID: "support", TenantID: "acme", Kind: inbox.SourceEmail, Name: "support", Enabled: true,
					Config: map[string]string{email.ConfigIMAPHost: host, email.ConfigIMAPPort: port, email.ConfigIMAPSecurity: "plain",
						email.ConfigUsername: user.Name, email.ConfigAddress: "support@bench.example", email.ConfigSentFolder: "-"},
					Secrets: map[string][]byte{email.SecretPassword: []byte(user.Password)}})
			}))
			received := make(chan struct{}, 100)
			eng.Subscribe(func(ev inbox.Event) {
				if ev.Type == inbox.EventMessageReceived {
					received <- struct{}{}
				}
			})
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				_ = eng.Run(runCtx, tc.opts)
				close(done)
			}()
			defer func() { stop(); <-done }()
			c, err := imapclient.DialInsecure(srv.Addr, nil)
			require.NoError(b, err)
			defer c.Close()
			require.NoError(b, c.Login(user.Name, user.Password).Wait())
			n := 0
			deliver := func() time.Duration {
				n++
				raw := mail(fmt.Sprintf("m%d@bench.example", n), "support@bench.example")
				start := time.Now()
				cmd := c.Append("INBOX", int64(len(raw)), nil)
				_, err := cmd.Write(raw)
				require.NoError(b, err)
				require.NoError(b, cmd.Close())
				_, err = cmd.Wait()
				require.NoError(b, err)
				select {
				case <-received:
				case <-time.After(2 * time.Minute):
					b.Fatal("the message never became visible")
				}
				return time.Since(start)
			}
			deliver() // the first sync, and the watcher behind it, are running
			time.Sleep(500 * time.Millisecond)
			b.ResetTimer()
			var worst time.Duration
			for range b.N {
				worst = max(worst, deliver())
			}
			b.ReportMetric(worst.Seconds(), "s-worst")
		})
	}
}
