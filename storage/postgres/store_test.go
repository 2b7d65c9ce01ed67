package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
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
	storetest.Run(t, func(t *testing.T) driver.Store { return openTemp(t) })
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
	require.NoError(t, s.View(ctx, "acme", func(tx driver.Tx) error {
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

// TestNewTablesGetStatisticsBeforeAutovacuum fills a fresh schema: the
// store analyses the tables itself, so key look-ups use their keys in the
// index instead of reading a tenant's every row (autovacuum would only
// come a minute later).
func TestNewTablesGetStatisticsBeforeAutovacuum(t *testing.T) {
	schema := freshSchema(t)
	s, err := postgres.Open(context.Background(), testDSN(), postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	require.NoError(t, s.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "Acme"}))
	eng, err := inbox.New(inbox.Options{Store: s})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })

	analysed := func(table string) bool {
		var n int
		require.NoError(t, adminDB(t).QueryRow(`SELECT COUNT(*) FROM pg_stat_user_tables
			WHERE schemaname = $1 AND relname = $2 AND last_analyze IS NOT NULL`, schema, table).Scan(&n))
		return n == 1
	}
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for b := range 6 {
		msgs := make([]inbox.Inbound, 100)
		for i := range msgs {
			n := b*100 + i
			msgs[i] = inbox.Inbound{Source: inbox.SourceWebhook, IntegrationID: "form", ProviderID: fmt.Sprint("m", n),
				From: inbox.Party{Email: fmt.Sprintf("c%d@example.com", n%150)}, Subject: "Order", Text: "Where is my order?",
				SentAt: base.Add(time.Duration(n) * time.Minute)}
		}
		_, err := eng.Ingest(ctx, "acme", msgs)
		require.NoError(t, err)
		time.Sleep(500 * time.Millisecond) // the store checks every two seconds at most
	}
	require.Eventually(t, func() bool {
		_, _ = eng.Ingest(ctx, "acme", []inbox.Inbound{{Source: inbox.SourceWebhook, IntegrationID: "form", ProviderID: fmt.Sprint("late-", time.Now().UnixNano()),
			From: inbox.Party{Email: "late@example.com"}, Text: "hello"}})
		return analysed("messages") && analysed("dedupe_keys") && analysed("conversations")
	}, 15*time.Second, 500*time.Millisecond, "the filled tables were analysed")
	require.False(t, analysed("notes"), "an empty table waits for rows")

	// The table is still small enough for a sequential scan to win: ask
	// which index plan the statistics lead to.
	tx, err := adminDB(t).Begin()
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()
	_, err = tx.Exec(`SET LOCAL enable_seqscan = off`)
	require.NoError(t, err)
	var plan strings.Builder
	rows, err := tx.Query(`EXPLAIN SELECT message_id FROM ` + schema + `.dedupe_keys WHERE tenant_id = 'acme' AND key IN ('p:form:m1', 'p:form:m2', 'p:form:m3')`)
	require.NoError(t, err)
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		plan.WriteString(line + "\n")
	}
	require.NoError(t, rows.Err())
	require.Regexp(t, `Index Cond: .*key = ANY`, plan.String(), "the look-up uses its keys in the index")
}
