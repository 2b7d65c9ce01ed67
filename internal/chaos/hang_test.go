package chaos_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/chaos"
	"github.com/inboxkit/inboxkit/internal/dovecot"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// silentServer accepts IMAP connections and never says a word.
type silentServer struct {
	ln     net.Listener
	mu     sync.Mutex
	open   int
	closed chan struct{} // a client hung up
}

func startSilent(t *testing.T) *silentServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &silentServer{ln: ln, closed: make(chan struct{}, 16)}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.open++
			s.mu.Unlock()
			go func() {
				defer conn.Close()
				_, _ = conn.Read(make([]byte, 1)) // returns when the client closes
				s.mu.Lock()
				s.open--
				s.mu.Unlock()
				s.closed <- struct{}{}
			}()
		}
	}()
	return s
}

func (s *silentServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// TestHangingServerTimesOutWithoutStallingOthers syncs three Dovecot
// mailboxes and one whose server accepts the connection and never
// answers: the others are synced meanwhile, and the hanging sync ends at
// SyncTimeout, closes its connection, records the error and frees its
// lease.
func TestHangingServerTimesOutWithoutStallingOthers(t *testing.T) {
	requireServices(t, false)
	ctx := context.Background()
	users := []dovecot.User{{Name: "box-a", Password: "pw-a"}, {Name: "box-b", Password: "pw-b"}, {Name: "box-c", Password: "pw-c"}}
	srv := dovecot.StartConfig(t, dovecot.Config{Users: users})
	for _, u := range users {
		require.NoError(t, srv.WriteMaildir(u.Name, "INBOX", 5, func(n int) []byte {
			return mail(fmt.Sprintf("%s-%d@chaos.example", u.Name, n), "client@example.org", u.Name+"@chaos.example", "Commande "+strconv.Itoa(n))
		}))
	}
	silent := startSilent(t)

	store := memstore.New()
	sealer, err := chaos.Sealer(sealKey(t))
	require.NoError(t, err)
	eng, err := inbox.New(inbox.Options{Store: store, Sealer: sealer,
		Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: email.Factory(email.FactoryOptions{})}})
	require.NoError(t, err)
	defer eng.Close()
	const tenant inbox.TenantID = "acme"
	require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: tenant, Name: "Maison Lumière"}))
	add := func(id, addr, user, password string) {
		host, port, _ := net.SplitHostPort(addr)
		pw, err := sealer.Seal(ctx, []byte(password), inbox.SealContext{Tenant: tenant, IntegrationID: id, Field: email.SecretPassword})
		require.NoError(t, err)
		require.NoError(t, store.Update(ctx, tenant, func(tx driver.Tx) error {
			return tx.CreateIntegration(&inbox.Integration{ID: id, TenantID: tenant, Kind: inbox.SourceEmail, Name: id, Enabled: true,
				Config: map[string]string{email.ConfigIMAPHost: host, email.ConfigIMAPPort: port, email.ConfigIMAPSecurity: "plain",
					email.ConfigUsername: user, email.ConfigAddress: "support@chaos.example", email.ConfigSentFolder: "-"},
				Secrets: map[string][]byte{email.SecretPassword: pw}})
		}))
	}
	add("a-hanging", silent.ln.Addr().String(), "nobody", "secret")
	for _, u := range users {
		add(u.Name, srv.Addr, u.Name, u.Password)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	// Two connection slots: the hanging mailbox holds one of them.
	go func() {
		done <- eng.Run(runCtx, inbox.RunOptions{SyncInterval: time.Hour, MaxConcurrentSyncs: 2, SyncTimeout: 15 * time.Second, Instance: "solo"})
	}()
	defer func() {
		stop()
		require.NoError(t, <-done)
	}()

	health := func(id string) inbox.IntegrationHealth {
		hs, err := eng.Health(ctx, tenant)
		require.NoError(t, err)
		for _, h := range hs {
			if h.IntegrationID == id {
				return h
			}
		}
		t.Fatalf("no health for %s", id)
		return inbox.IntegrationHealth{}
	}
	for _, u := range users {
		require.Eventually(t, func() bool { return health(u.Name).LastSync.New == 5 }, time.Minute, 20*time.Millisecond, u.Name)
	}
	require.Equal(t, 1, silent.connections(), "the other mailboxes were synced while the hanging one still waited")
	require.Zero(t, health("a-hanging").Status, "the hanging sync has not finished yet")

	select {
	case <-silent.closed:
	case <-time.After(time.Minute):
		t.Fatal("the hanging connection was never closed")
	}
	require.Eventually(t, func() bool { return health("a-hanging").Status == inbox.IntegrationError }, 10*time.Second, 10*time.Millisecond)
	require.NotEmpty(t, health("a-hanging").LastError)
	require.Eventually(t, func() bool {
		ok, err := store.AcquireLease(ctx, "sync/acme/a-hanging", "another-instance", time.Minute)
		return err == nil && ok
	}, 10*time.Second, 10*time.Millisecond, "the lease of the timed-out sync was released")
}
