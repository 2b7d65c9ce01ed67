package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/bench"
	"github.com/inboxkit/inboxkit/internal/testenv"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

// benchTenant owns every generated conversation.
const benchTenant inbox.TenantID = "bench"

// Folder rules of the generated tenant. salesRules is what the history
// was filed with; salesRulesChanged is the edit the reclassification
// benchmark applies.
const (
	salesRules        = `{"any": [{"field": "subject", "op": "contains", "value": "livraison"}]}`
	salesRulesChanged = `{"any": [{"field": "subject", "op": "contains", "value": "garantie"}, {"field": "body", "op": "contains", "value": "réclamation"}]}`
	supportRules      = `{"any": [{"field": "subject", "op": "contains", "value": "problème"}]}`
)

// envInt reads a positive integer from the environment, or def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// historySpec sizes a generated history.
type historySpec struct {
	Messages, Conversations int
	MinBody, MaxBody        int
}

func (s historySpec) name() string {
	return fmt.Sprintf("m%d-c%d-b%d-%d", s.Messages, s.Conversations, s.MinBody, s.MaxBody)
}

// benchFolders are the tenant's folders with their rules.
func benchFolders() []inbox.Folder {
	return []inbox.Folder{
		{ID: "sales", Name: "Ventes", Position: 1, Rules: json.RawMessage(salesRules)},
		{ID: "support", Name: "Support", Position: 2, Rules: json.RawMessage(supportRules)},
		{ID: "billing", Name: "Facturation", Position: 3},
	}
}

// fileByRules is the folder salesRules/supportRules give a subject.
func fileByRules(subject string) string {
	switch {
	case strings.Contains(subject, "livraison"):
		return "sales"
	case strings.Contains(subject, "problème"):
		return "support"
	}
	return ""
}

// openBenchSQLite opens a SQLite store holding the history spec, built on
// first use. INBOXKIT_BENCH_DIR keeps built databases between runs (they
// take minutes at 100k conversations); unset, a temporary directory is
// used.
func openBenchSQLite(b *testing.B, spec historySpec) (*sqlite.Store, []string) {
	b.Helper()
	dir := os.Getenv("INBOXKIT_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, "history-"+spec.name()+".db")
	done := path + ".complete"
	if _, err := os.Stat(done); err != nil {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
		s, err := sqlite.Open(context.Background(), path, sqlite.Options{Synchronous: "NORMAL"})
		require.NoError(b, err)
		start := time.Now()
		seedHistory(b, s, spec)
		b.Logf("built %s in %s", path, time.Since(start).Round(time.Second))
		require.NoError(b, s.Close())
		require.NoError(b, os.WriteFile(done, nil, 0o600))
	}
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	return s, conversationIDs(b, s)
}

// openBenchPostgres opens a PostgreSQL store on a fresh schema holding the
// history spec, or skips when no server is reachable.
func openBenchPostgres(b *testing.B, spec historySpec) (*postgres.Store, []string) {
	b.Helper()
	dsn := os.Getenv("INBOXKIT_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		testenv.Missing(b, "PostgreSQL not reachable at INBOXKIT_TEST_POSTGRES: %v", err)
	}
	schema := fmt.Sprintf("inboxkit_bench_history_%d", time.Now().UnixNano())
	b.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
		_ = conn.Close(context.Background())
	})
	s, err := postgres.Open(ctx, dsn, postgres.Options{Schema: schema, MaxConns: 4})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	start := time.Now()
	seedHistory(b, s, spec)
	b.Logf("built PostgreSQL schema %s in %s", schema, time.Since(start).Round(time.Second))
	return s, conversationIDs(b, s)
}

// seedHistory writes the generator's messages straight through
// transactions (1,000 messages each): conversations filed by the rules,
// one message in three answered by an agent, one in five by SMS.
func seedHistory(b *testing.B, store driver.Store, spec historySpec) {
	b.Helper()
	ctx := context.Background()
	require.NoError(b, store.CreateTenant(ctx, &inbox.Tenant{ID: benchTenant, Name: "Bench", Settings: inbox.TenantSettings{TimeZone: "Europe/Paris"}}))
	require.NoError(b, store.Update(ctx, benchTenant, func(tx driver.Tx) error {
		for _, f := range benchFolders() {
			if err := tx.CreateFolder(&f); err != nil {
				return err
			}
		}
		return nil
	}))
	gen := bench.New(bench.Options{Messages: spec.Messages, Conversations: spec.Conversations, MinBody: spec.MinBody, MaxBody: spec.MaxBody, Seed: 1})
	rng := rand.New(rand.NewPCG(2, 3))
	convs := map[string]string{} // generator thread -> conversation id
	for !gen.Done() {
		batch := gen.Next(1000)
		require.NoError(b, store.Update(ctx, benchTenant, func(tx driver.Tx) error {
			for _, in := range batch {
				thread := in.MessageID[strings.Index(in.MessageID, ".t")+2 : strings.IndexByte(in.MessageID, '@')]
				convID, ok := convs[thread]
				source := inbox.SourceEmail
				if rng.IntN(5) == 0 {
					source = inbox.SourceSMS
				}
				if !ok {
					folder := fileByRules(in.Subject)
					c := inbox.Conversation{Source: source, Status: inbox.StatusOpen, Subject: in.Subject, ThreadSubject: in.Subject,
						FolderID: folder, CreatedAt: in.SentAt, LastMessageAt: in.SentAt,
						Classification: inbox.Decision{FolderID: folder, By: "rules", At: in.SentAt}}
					if folder == "" {
						c.Classification = inbox.Decision{Error: "no rule matched"}
					}
					switch rng.IntN(4) {
					case 0:
						c.Status, c.ResolvedAt = inbox.StatusResolved, in.SentAt.Add(time.Duration(1+rng.IntN(72))*time.Hour)
						fallthrough
					case 1:
						c.FirstResponseAt = in.SentAt.Add(time.Duration(1+rng.IntN(600)) * time.Minute)
					}
					if err := tx.CreateConversation(&c); err != nil {
						return err
					}
					convID = c.ID
					convs[thread] = convID
				}
				m := inbox.Message{ConversationID: convID, Source: source, Direction: inbox.DirectionIn, Author: inbox.AuthorCustomer,
					MessageID: in.MessageID, InReplyTo: in.InReplyTo, From: in.From, To: in.To, Subject: in.Subject, Text: in.Text,
					SentAt: in.SentAt, CreatedAt: in.SentAt, ThreadKeys: []string{"m:" + in.MessageID}}
				if rng.IntN(3) == 0 {
					m.Direction, m.Author, m.AuthorID = inbox.DirectionOut, inbox.AuthorAgent, "agent-1"
				}
				if err := tx.InsertMessage(&m); err != nil {
					return err
				}
			}
			return nil
		}))
	}
}

// conversationIDs lists every conversation of the bench tenant.
func conversationIDs(b *testing.B, store driver.Store) []string {
	b.Helper()
	var ids []string
	require.NoError(b, store.View(context.Background(), benchTenant, func(tx driver.Tx) error {
		cursor := ""
		for {
			page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500, Cursor: cursor})
			if err != nil {
				return err
			}
			for _, c := range page.Items {
				ids = append(ids, c.ID)
			}
			if page.NextCursor == "" {
				return nil
			}
			cursor = page.NextCursor
		}
	}))
	return ids
}

// latencies collects per-call durations and reports p50/p95 in ms.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	pct := func(p float64) float64 {
		i := min(len(s)-1, max(0, int(float64(len(s))*p+0.999999)-1))
		return float64(s[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}
