package chaos_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/chaos"
	"github.com/inboxkit/inboxkit/internal/dovecot"
	"github.com/inboxkit/inboxkit/storage/postgres"
)

// TestRestartedInstanceSeesNewMailAtOnce kills an instance that watches
// five mailboxes with IDLE, with leases of a minute and a sync every
// minute, and starts it again under the same name, as a process
// restarted in its deployment slot is. The leases the dead process held
// are its own, so the new process takes them back, syncs and watches at
// once: mail delivered right after the restart is stored long before
// the old leases would have expired (and in about a second on a quiet
// machine; the time is logged). The same holds after a clean stop.
func TestRestartedInstanceSeesNewMailAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	requireServices(t, true)
	ctx := context.Background()
	const boxes, lease = 5, time.Minute
	users := make([]dovecot.User, boxes)
	for i := range users {
		users[i] = dovecot.User{Name: boxName(i), Password: "pw-" + boxName(i)}
	}
	srv := dovecot.StartConfig(t, dovecot.Config{Users: users})
	schema, db := freshSchema(t)
	store, err := postgres.Open(ctx, testDSN(), postgres.Options{Schema: schema})
	require.NoError(t, err)
	defer store.Close()
	require.NoError(t, chaos.InstallLogs(ctx, db))
	key := sealKey(t)
	sealer, err := chaos.Sealer(key)
	require.NoError(t, err)
	const tenant = inbox.TenantID("t0")
	require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: tenant, Name: "Tenant"}))
	host, port, _ := net.SplitHostPort(srv.Addr)
	for i := range boxes {
		id := boxName(i)
		pw, err := sealer.Seal(ctx, []byte("pw-"+id), inbox.SealContext{Tenant: tenant, IntegrationID: id, Field: email.SecretPassword})
		require.NoError(t, err)
		require.NoError(t, store.Update(ctx, tenant, func(tx driver.Tx) error {
			return tx.CreateIntegration(&inbox.Integration{ID: id, TenantID: tenant, Kind: inbox.SourceEmail, Name: id, Enabled: true,
				Config: map[string]string{email.ConfigIMAPHost: host, email.ConfigIMAPPort: port, email.ConfigIMAPSecurity: "plain",
					email.ConfigUsername: id, email.ConfigAddress: id + "@chaos.example", email.ConfigSentFolder: "-"},
				Secrets: map[string][]byte{email.SecretPassword: pw},
			})
		}))
	}
	f := &fleet{t: t, db: db, dir: t.TempDir(), alive: map[string]*exec.Cmd{}, killed: map[string]time.Time{},
		worker: chaos.Worker{DSN: testDSN(), Schema: schema, SealKey: key, Options: inbox.RunOptions{
			SyncInterval: lease, LeaseTTL: lease, Watch: true, ShutdownTimeout: 10 * time.Second, FollowUpInterval: time.Hour,
		}}}
	defer f.stopAll()

	sent := 0
	deliver := func(round string) {
		for i := range boxes {
			c, err := imapclient.DialInsecure(srv.Addr, nil)
			require.NoError(t, err)
			require.NoError(t, c.Login(boxName(i), "pw-"+boxName(i)).Wait())
			raw := mail(fmt.Sprintf("%s-%s@chaos.example", round, boxName(i)), "client@example.org", boxName(i)+"@chaos.example", "Suivi "+round)
			cmd := c.Append("INBOX", int64(len(raw)), nil)
			_, err = cmd.Write(raw)
			require.NoError(t, err)
			require.NoError(t, cmd.Close())
			_, err = cmd.Wait()
			require.NoError(t, err)
			_ = c.Close()
			sent++
		}
	}
	stored := func(within time.Duration, what string) {
		require.Eventually(t, func() bool { return f.storedCount() == sent }, within, 20*time.Millisecond,
			"%s: %d of %d messages stored", what, f.storedCount(), sent)
	}

	f.startAs("slot-1")
	deliver("first")
	stored(30*time.Second, "first start")

	restart := func(how string, stop func()) {
		stop()
		began := time.Now()
		f.startAs("slot-1")
		deliver(how)
		// Half a lease: the old leases are never waited out.
		stored(lease/2, "after "+how)
		t.Logf("after %s: new mail in all %d mailboxes stored %s after the new process started (leases of %s)",
			how, boxes, time.Since(began).Round(time.Millisecond), lease)
	}
	restart("kill -9", func() { f.kill("slot-1") })
	restart("a clean stop", f.stopAll)
}
