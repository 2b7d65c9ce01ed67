package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/pgtest"
	"github.com/inboxkit/inboxkit/storage/postgres"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

// opener makes a fresh store for a test; both SQL stores run every test
// in this file.
type opener struct {
	name string
	open func(t testing.TB) driver.Store
}

func openers() []opener {
	return []opener{
		{"sqlite", func(t testing.TB) driver.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "inbox.db"), sqlite.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"postgres", func(t testing.TB) driver.Store {
			schema := pgSchema(t)
			s, err := postgres.Open(context.Background(), pgDSN(), postgres.Options{Schema: schema})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
}

func pgDSN() string { return pgtest.DSN() }

func pgAdmin(t testing.TB) *sql.DB { return pgtest.Admin(t) }

func pgSchema(t testing.TB) string { return pgtest.FreshSchema(t) }

func forEachStore(t *testing.T, fn func(t *testing.T, s driver.Store)) {
	for _, o := range openers() {
		t.Run(o.name, func(t *testing.T) { fn(t, o.open(t)) })
	}
}

const tenant inbox.TenantID = "acme"

func seed(t *testing.T, s driver.Store) {
	t.Helper()
	require.NoError(t, s.CreateTenant(context.Background(), &inbox.Tenant{ID: tenant, Name: "Acme"}))
}

// addMessage stores a conversation with one message.
func addMessage(t *testing.T, s driver.Store, subject, text string, from inbox.Party, at time.Time) inbox.Conversation {
	t.Helper()
	var conv inbox.Conversation
	require.NoError(t, s.Update(context.Background(), tenant, func(tx driver.Tx) error {
		conv = inbox.Conversation{Source: inbox.SourceEmail, Status: inbox.StatusNew, Subject: subject, LastMessageAt: at, Unread: 1}
		if err := tx.CreateConversation(&conv); err != nil {
			return err
		}
		m := inbox.Message{ConversationID: conv.ID, Source: inbox.SourceEmail, Direction: inbox.DirectionIn,
			Subject: subject, Text: text, From: from, SentAt: at, DedupeKeys: []string{"m:" + inbox.NewID()}}
		return tx.InsertMessage(&m)
	}))
	return conv
}

func search(t *testing.T, s driver.Store, q string) []string {
	t.Helper()
	var ids []string
	require.NoError(t, s.View(context.Background(), tenant, func(tx driver.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{Search: q})
		for _, c := range page.Items {
			ids = append(ids, c.Subject)
		}
		return err
	}))
	return ids
}

func TestSearchFoldsAccentsAndUnderstandsOperators(t *testing.T) {
	forEachStore(t, func(t *testing.T, s driver.Store) {
		seed(t, s)
		base := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
		addMessage(t, s, "Problème de livraison", "Bonjour, mon colis n'est jamais arrivé à l'école.",
			inbox.Party{Name: "Éléonore Dupré", Email: "eleonore@example.fr"}, base)
		addMessage(t, s, "Facture", "Where is my invoice for order 4711?",
			inbox.Party{Name: "Ada Lovelace", Email: "ada@example.com"}, base.Add(time.Hour))
		addMessage(t, s, "Straße", "Die Größe passt nicht", inbox.Party{Phone: "4915112345678"}, base.Add(2*time.Hour))

		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"probleme", []string{"Problème de livraison"}},
			{"ECOLE arrive", []string{"Problème de livraison"}},
			{"eleonore", []string{"Problème de livraison"}},
			{"from:dupre", []string{"Problème de livraison"}},
			{"from:ada@example.com", []string{"Facture"}},
			{"ada@example.com", []string{"Facture"}},
			{"4915112345678", []string{"Straße"}},
			{"strasse grosse", []string{"Straße"}},
			{`"colis n est"`, []string{"Problème de livraison"}},
			{`"est colis"`, []string{"Problème de livraison"}}, // quoted words: all of them, in any order
			{"invoice 4711", []string{"Facture"}},
			{"inv*", []string{"Facture"}},
			{"invoice livraison", nil},
			{"from:invoice", nil},
			{"status:new", []string{"Straße", "Facture", "Problème de livraison"}},
			{"status:spam", nil},
			{"after:2026-02-01 before:2026-02-01", nil},
			{"after:2026-02-01", []string{"Straße", "Facture", "Problème de livraison"}},
		} {
			require.Equal(t, tc.want, search(t, s, tc.q), tc.q)
		}
	})
}

// TestSearchInjectionIsInert sends SQL, FTS5 and tsquery syntax through
// Search and filters: nothing fails with a database error, nothing
// matches that should not, and the data is intact afterwards.
func TestSearchInjectionIsInert(t *testing.T) {
	forEachStore(t, func(t *testing.T, s driver.Store) {
		seed(t, s)
		addMessage(t, s, "Hello", "plain text", inbox.Party{Email: "a@example.com"}, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
		attacks := []string{
			`'; DROP TABLE messages; --`, `" OR 1=1 --`, `') OR ('1'='1`, `*`, `NEAR(plain text)`, `plain OR nothing`,
			`sender : a`, `{subject body}: x`, `plain & !text`, `plain | x`, `'plain':*`, `\`, `%`, `_`, `$1`, `?`,
			"\x00", `folder:"x' OR '1'='1"`, `from:"a@example.com' --"`, `a:"b`, `((((`, `"`, `-plain`,
		}
		for _, q := range attacks {
			err := s.View(context.Background(), tenant, func(tx driver.Tx) error {
				_, err := tx.ListConversations(inbox.ConversationQuery{Search: q})
				return err
			})
			if err != nil {
				require.ErrorIs(t, err, inbox.ErrInvalid, "%q must be refused as invalid input, not fail in the database", q)
			}
		}
		// Filters are bound parameters too.
		require.NoError(t, s.View(context.Background(), tenant, func(tx driver.Tx) error {
			for _, q := range attacks {
				page, err := tx.ListConversations(inbox.ConversationQuery{FolderID: q, Tag: q, Assignee: q, ContactID: q, ThreadSubject: q})
				if err != nil { // NUL bytes are refused (PostgreSQL cannot store them)
					require.ErrorIs(t, err, inbox.ErrInvalid, "%q", q)
					continue
				}
				require.Empty(t, page.Items, "%q", q)
				cp, err := tx.ListContacts(inbox.ContactQuery{Search: q})
				require.NoError(t, err)
				require.Empty(t, cp.Items, "%q", q)
			}
			return nil
		}))
		require.Equal(t, []string{"Hello"}, search(t, s, "plain"), "data intact")
	})
}

// TestFailedTransactionLeavesNoRows aborts a transaction that wrote a
// conversation, a message (with its index entry and keys) and an audit
// entry, and one that failed on a unique key.
func TestFailedTransactionLeavesNoRows(t *testing.T) {
	forEachStore(t, func(t *testing.T, s driver.Store) {
		seed(t, s)
		boom := errors.New("boom")
		err := s.Update(context.Background(), tenant, func(tx driver.Tx) error {
			c := inbox.Conversation{Source: inbox.SourceEmail, Subject: "ghost"}
			require.NoError(t, tx.CreateConversation(&c))
			m := inbox.Message{ConversationID: c.ID, Subject: "ghost", Text: "ghost text", DedupeKeys: []string{"d1"}, ThreadKeys: []string{"t1"}}
			require.NoError(t, tx.InsertMessage(&m))
			require.NoError(t, tx.AppendAudit(inbox.AuditEntry{Action: "x"}))
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.NoError(t, s.View(context.Background(), tenant, func(tx driver.Tx) error {
			page, err := tx.ListConversations(inbox.ConversationQuery{})
			require.NoError(t, err)
			require.Empty(t, page.Items)
			taken, err := tx.LookupDedupeKeys([]string{"d1"})
			require.NoError(t, err)
			require.Empty(t, taken)
			audit, err := tx.ListAudit(inbox.AuditQuery{})
			require.NoError(t, err)
			require.Empty(t, audit)
			return nil
		}))
		require.Empty(t, search(t, s, "ghost"))

		// A unique violation is ErrConflict and the transaction goes on.
		addMessage(t, s, "first", "x", inbox.Party{Email: "a@example.com"}, time.Now())
		require.NoError(t, s.Update(context.Background(), tenant, func(tx driver.Tx) error {
			c := inbox.Conversation{Source: inbox.SourceEmail, Subject: "second"}
			require.NoError(t, tx.CreateConversation(&c))
			m := inbox.Message{ConversationID: c.ID, DedupeKeys: []string{"dup"}}
			require.NoError(t, tx.InsertMessage(&m))
			again := inbox.Message{ConversationID: c.ID, DedupeKeys: []string{"fresh", "dup"}}
			err := tx.InsertMessage(&again)
			require.ErrorIs(t, err, inbox.ErrConflict)
			var se interface{ Unwrap() error }
			require.True(t, errors.As(err, &se))
			taken, err := tx.LookupDedupeKeys([]string{"fresh"})
			require.NoError(t, err)
			require.Empty(t, taken, "a refused insert claims none of its keys")
			return nil
		}))
	})
}

// TestUnreadCountsUnderConcurrentWriters has writers move, read and
// delete conversations concurrently and checks the counters against the
// conversations afterwards.
func TestUnreadCountsUnderConcurrentWriters(t *testing.T) {
	forEachStore(t, func(t *testing.T, s driver.Store) {
		seed(t, s)
		ctx := context.Background()
		var folders []string
		require.NoError(t, s.Update(ctx, tenant, func(tx driver.Tx) error {
			for i := range 3 {
				f := inbox.Folder{Name: fmt.Sprint("f", i)}
				if err := tx.CreateFolder(&f); err != nil {
					return err
				}
				folders = append(folders, f.ID)
			}
			return nil
		}))
		var ids []string
		for i := range 30 {
			ids = append(ids, addMessage(t, s, fmt.Sprint("c", i), "x", inbox.Party{Email: "a@example.com"}, time.Now()).ID)
		}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := w; i < len(ids); i += 4 {
					for {
						err := s.Update(ctx, tenant, func(tx driver.Tx) error {
							c, err := tx.GetConversation(ids[i])
							if err != nil {
								return err
							}
							switch i % 5 {
							case 0:
								return tx.DeleteConversation(c.ID)
							case 1:
								c.Unread = 0
							case 2:
								c.Status = inbox.StatusSpam
							}
							c.FolderID = folders[i%3]
							return tx.UpdateConversation(&c)
						})
						if err == nil {
							break
						}
						require.True(t, errors.Is(err, inbox.ErrConflict) || errors.Is(err, inbox.ErrTemporary), "%v", err)
					}
				}
			})
		}
		wg.Wait()
		require.NoError(t, s.View(ctx, tenant, func(tx driver.Tx) error {
			counts, err := tx.UnreadCounts()
			require.NoError(t, err)
			want := map[string]int{}
			page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500})
			require.NoError(t, err)
			for _, c := range page.Items {
				if c.Unread > 0 && c.Status != inbox.StatusSpam && c.Status != inbox.StatusArchived {
					want[c.FolderID]++
				}
			}
			require.Equal(t, want, counts)
			require.Equal(t, map[string]int{folders[0]: 4, folders[1]: 4, folders[2]: 4}, counts)
			return nil
		}))
	})
}

func TestSearchByRelevance(t *testing.T) {
	forEachStore(t, func(t *testing.T, s driver.Store) {
		seed(t, s)
		base := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
		addMessage(t, s, "Colis perdu", "Mon colis est perdu, le colis devait arriver hier. Où est le colis ?", inbox.Party{Email: "a@example.com"}, base)
		addMessage(t, s, "Bonjour", "Une question sur une facture, rien à voir avec un colis.", inbox.Party{Email: "b@example.com"}, base.Add(time.Hour))
		addMessage(t, s, "Merci", "Tout va bien.", inbox.Party{Email: "c@example.com"}, base.Add(2*time.Hour))

		require.Equal(t, []string{"Bonjour", "Colis perdu"}, search(t, s, "colis"), "newest first by default")
		require.Equal(t, []string{"Colis perdu", "Bonjour"}, search(t, s, "colis sort:relevance"))

		var pages [][]string
		cursor := ""
		for {
			var page inbox.ConversationPage
			require.NoError(t, s.View(context.Background(), tenant, func(tx driver.Tx) error {
				var err error
				page, err = tx.ListConversations(inbox.ConversationQuery{Search: "colis sort:relevance", Limit: 1, Cursor: cursor})
				return err
			}))
			var subjects []string
			for _, c := range page.Items {
				subjects = append(subjects, c.Subject)
			}
			pages = append(pages, subjects)
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		require.Equal(t, [][]string{{"Colis perdu"}, {"Bonjour"}}, pages)
	})
}
