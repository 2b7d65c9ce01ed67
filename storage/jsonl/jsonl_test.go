package jsonl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/bench"
	"github.com/inboxkit/inboxkit/storage/jsonl"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

const tenant inbox.TenantID = "acme"

func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "inbox.db"), sqlite.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func openPostgres(t *testing.T) *postgres.Store {
	t.Helper()
	dsn := os.Getenv("INBOXKIT_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	admin := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = admin.Close() })
	if err := admin.Ping(); err != nil {
		t.Skipf("PostgreSQL not reachable at INBOXKIT_TEST_POSTGRES: %v", err)
	}
	schema := "inboxkit_test_jsonl_" + strings.ToLower(inbox.NewID()[20:])
	t.Cleanup(func() {
		_, err := admin.Exec(`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`)
		require.NoError(t, err)
	})
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fill ingests generated mail through the engine and adds one record of
// every other kind, a deleted conversation (a tombstone) and blob keys.
func fill(t *testing.T, s driver.Store) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.CreateTenant(ctx, &inbox.Tenant{ID: tenant, Name: "Acme", Settings: inbox.TenantSettings{TimeZone: "Europe/Paris"}}))
	in := inbox.Integration{Kind: inbox.SourceEmail, Name: "support", Enabled: true, Config: map[string]string{"host": "imap.example"},
		Secrets: map[string][]byte{"password": []byte("sealed")}}
	require.NoError(t, s.Update(ctx, tenant, func(tx driver.Tx) error { return tx.CreateIntegration(&in) }))
	eng, err := inbox.New(inbox.Options{Store: s})
	require.NoError(t, err)
	defer eng.Close()
	gen := bench.New(bench.Options{Messages: 60, Conversations: 12, MinBody: 200, MaxBody: 400, Seed: 3})
	msgs := gen.Next(60)
	msgs[0].RawKey = "acme/raw/1"
	msgs[1].Attachments = []inbox.Attachment{{ID: "a1", Filename: "facture.pdf", ContentType: "application/pdf", Size: 3, BlobKey: "acme/att/1"}}
	for i := range msgs {
		msgs[i].IntegrationID = in.ID
	}
	cursor := "uid=60"
	_, err = eng.IngestBatch(ctx, tenant, inbox.Batch{IntegrationID: in.ID, Cursor: &cursor, Messages: msgs})
	require.NoError(t, err)

	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, s.Update(ctx, tenant, func(tx driver.Tx) error {
		f := inbox.Folder{Name: "Ventes", Rules: json.RawMessage(`{"any":[{"field":"subject","contains":"devis"}]}`)}
		require.NoError(t, tx.CreateFolder(&f))
		page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500})
		require.NoError(t, err)
		c := page.Items[0]
		c.FolderID, c.Tags = f.ID, []string{"vip"}
		require.NoError(t, tx.UpdateConversation(&c))
		require.NoError(t, tx.CreateNote(&inbox.Note{ConversationID: c.ID, Author: "u1", Body: "Rappeler demain", CreatedAt: at}))
		require.NoError(t, tx.CreateTask(&inbox.Task{ConversationID: c.ID, Title: "Envoyer devis", Assignee: "u1", DueAt: at.Add(24 * time.Hour)}))
		require.NoError(t, tx.CreateFollowUp(&inbox.FollowUp{ConversationID: c.ID, DueAt: at.Add(48 * time.Hour), IfNoReply: true}))
		require.NoError(t, tx.CreateDraft(&inbox.Draft{ConversationID: c.ID, Text: "Bonjour", Citations: []inbox.Citation{{DocumentID: "kb1", Score: 0.5}}}))
		require.NoError(t, tx.EnqueueOutbox(&inbox.OutboxItem{ConversationID: c.ID, MessageID: "m-out", IdempotencyKey: "k1", NextAttemptAt: at}))
		require.NoError(t, tx.AddQuarantine(&inbox.QuarantineItem{Source: inbox.SourceEmail, RawKey: "acme/raw/bad", Error: "unparsable", Inbound: json.RawMessage(`{"a":1}`)}))
		require.NoError(t, tx.CreateNotification(&inbox.Notification{UserID: "u1", Kind: "mention", Text: "@u1", ReadAt: at}))
		return tx.DeleteConversation(page.Items[len(page.Items)-1].ID)
	}))
}

// records exports a store and returns its records with versions removed
// (they restart at 1 on import).
func records(t *testing.T, s jsonl.Exporter) []string {
	t.Helper()
	var buf bytes.Buffer
	_, err := jsonl.Export(context.Background(), s, tenant, &buf)
	require.NoError(t, err)
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec struct {
			Kind string         `json:"kind"`
			Data map[string]any `json:"data"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		delete(rec.Data, "Version")
		raw, err := json.Marshal(rec)
		require.NoError(t, err)
		out = append(out, string(raw))
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		dst  func(t *testing.T) driver.Store
	}{
		{"sqlite to sqlite", func(t *testing.T) driver.Store { return openSQLite(t) }},
		{"sqlite to postgres", func(t *testing.T) driver.Store { return openPostgres(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			src := openSQLite(t)
			fill(t, src)
			dst := tc.dst(t)

			var buf bytes.Buffer
			st, err := jsonl.Export(ctx, src, tenant, &buf)
			require.NoError(t, err)
			require.Equal(t, []string{"acme/raw/1", "acme/att/1", "acme/raw/bad"}, st.BlobKeys)
			require.Positive(t, st.Records["dedupe_key"], "the deleted conversation's keys are exported")
			imported, err := jsonl.Import(ctx, dst, bytes.NewReader(buf.Bytes()), jsonl.ImportOptions{BatchSize: 7})
			require.NoError(t, err)
			require.Equal(t, st.Records, imported.Records)

			require.Equal(t, records(t, src), records(t, dst.(jsonl.Exporter)))
			require.NoError(t, dst.View(ctx, tenant, func(tx driver.Tx) error {
				page, err := tx.ListConversations(inbox.ConversationQuery{Search: "folder:Ventes"})
				require.NoError(t, err)
				require.Len(t, page.Items, 1, "search works on imported data")
				return nil
			}))

			_, err = jsonl.Import(ctx, dst, bytes.NewReader(buf.Bytes()), jsonl.ImportOptions{})
			require.ErrorIs(t, err, inbox.ErrConflict, "the tenant exists")
		})
	}
}

func TestImportRejectsBadInput(t *testing.T) {
	for _, in := range []string{
		"not json\n",
		`{"kind":"message","data":{}}` + "\n",
		`{"kind":"tenant","data":{"ID":"x"}}` + "\n" + `{"kind":"spaceship","data":{}}` + "\n",
	} {
		_, err := jsonl.Import(context.Background(), openSQLite(t), strings.NewReader(in), jsonl.ImportOptions{})
		require.ErrorIs(t, err, inbox.ErrInvalid, in)
	}
}
