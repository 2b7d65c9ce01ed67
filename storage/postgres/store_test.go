package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/pgtest"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/storetest"
)

func testDSN() string { return pgtest.DSN() }

func adminDB(t testing.TB) *sql.DB { return pgtest.Admin(t) }

func freshSchema(t testing.TB) string { return pgtest.FreshSchema(t) }

// openTemp opens a store in a fresh schema dropped at cleanup.
func openTemp(t testing.TB) *postgres.Store {
	t.Helper()
	schema := freshSchema(t)
	s, err := postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) inbox.Store { return openTemp(t) })
}

// TestConcurrentOpenMigratesOnce starts several instances on one new
// schema at once: the advisory lock makes them take turns.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	schema := freshSchema(t)
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: schema, MaxConns: 2})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var applied int
	require.NoError(t, adminDB(t).QueryRow(`SELECT COUNT(*) FROM `+schema+`.schema_migrations`).Scan(&applied))
	s, err := postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: schema})
	require.NoError(t, err)
	defer s.Close()
	_, known, err := s.SchemaVersion(context.Background())
	require.NoError(t, err)
	require.Equal(t, known, applied, "each migration recorded once")
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	schema := freshSchema(t)
	s, err := postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: schema})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = adminDB(t).Exec(`INSERT INTO ` + schema + `.schema_migrations (version, name, applied_at) VALUES (999, '0999_future', 0)`)
	require.NoError(t, err)
	_, err = postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: schema})
	require.ErrorIs(t, err, inbox.ErrUnsupported)
	require.Contains(t, err.Error(), "version 999 is newer")
	require.Contains(t, err.Error(), schema)
}

func TestOpenErrorsNameTheServerNotThePassword(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://inboxkit:s3cret-pass@127.0.0.1:1/nodb?sslmode=disable&connect_timeout=2", postgres.Options{})
	require.Error(t, err)
	require.ErrorIs(t, err, inbox.ErrTemporary)
	require.Contains(t, err.Error(), "127.0.0.1:1/nodb")
	require.NotContains(t, err.Error(), "s3cret-pass")

	_, err = postgres.Open(context.Background(), "postgres://%zz", postgres.Options{})
	require.ErrorIs(t, err, inbox.ErrInvalid)
	_, err = postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: "Robert'); DROP TABLE students;--"})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

// TestParallelIntakeKeepsEachCustomerInOneConversation sends bursts of
// webhook messages from many customers at once, as WhatsApp does when a
// customer sends several photos: PostgreSQL runs a tenant's intake
// transactions in parallel, and still every customer ends with one
// conversation holding each of their messages once, in order.
func TestParallelIntakeKeepsEachCustomerInOneConversation(t *testing.T) {
	s := openTemp(t)
	require.GreaterOrEqual(t, s.ParallelWrites(), 2)
	ctx := context.Background()
	require.NoError(t, s.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "Acme"}))
	eng, err := inbox.New(inbox.Options{Store: s})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })

	const customers, burst = 12, 15
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	phone := func(c int) string { return fmt.Sprintf("+3361234%04d", c) }
	// Known customers, by SMS: nothing in the database stands in the way
	// of two transactions each opening their WhatsApp conversation.
	for c := range customers {
		_, err := eng.IngestOne(ctx, "acme", inbox.Inbound{Source: inbox.SourceSMS, IntegrationID: "sms", ProviderID: fmt.Sprint("sms-", c),
			From: inbox.Party{Phone: phone(c)}, Text: "hello", SentAt: base.Add(-time.Hour)})
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, customers*burst)
	for c := range customers {
		for i := range burst {
			wg.Go(func() {
				// The same message twice, as providers retry: stored once.
				for range 2 {
					_, err := eng.IngestOne(ctx, "acme", inbox.Inbound{
						Source: inbox.SourceWhatsApp, IntegrationID: "wa", ProviderID: fmt.Sprintf("c%d-m%02d", c, i),
						From: inbox.Party{Phone: phone(c)}, Text: fmt.Sprintf("photo %d", i),
						SentAt: base.Add(time.Duration(i) * time.Second),
					})
					if err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, s.View(ctx, "acme", func(tx inbox.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{Sources: []inbox.Source{inbox.SourceWhatsApp}, Limit: 100})
		require.NoError(t, err)
		require.Len(t, page.Items, customers, "one WhatsApp conversation per customer")
		for _, conv := range page.Items {
			msgs, err := tx.ListMessages(conv.ID)
			require.NoError(t, err)
			require.Len(t, msgs, burst, "each message of %s once", conv.ID)
			for i, m := range msgs {
				require.Equal(t, fmt.Sprintf("photo %d", i), m.Text)
			}
		}
		return nil
	}))
}
