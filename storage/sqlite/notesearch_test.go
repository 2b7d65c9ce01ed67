package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/sqlstore"
)

// TestNoteSearchIndex: a note's words reach every search path of the
// dialect (the rare-word lookup, the walk of frequent words, the
// ranking), and notes left unindexed (written before notes were
// searchable) are indexed when the store opens.
func TestNoteSearchIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "inbox.db")
	s := openAt(t, path)
	require.NoError(t, s.CreateTenant(ctx, &inbox.Tenant{ID: "acme"}))
	var convID string
	require.NoError(t, s.Update(ctx, "acme", func(tx driver.Tx) error {
		c := inbox.Conversation{Source: inbox.SourceEmail, Status: inbox.StatusOpen, Subject: "Lampe"}
		if err := tx.CreateConversation(&c); err != nil {
			return err
		}
		convID = c.ID
		return tx.CreateNote(&inbox.Note{ConversationID: c.ID, Author: "ana", Body: "Remboursement accordé"})
	}))
	search := func() []string {
		t.Helper()
		var ids []string
		require.NoError(t, s.View(ctx, "acme", func(tx driver.Tx) error {
			page, err := tx.ListConversations(inbox.ConversationQuery{Search: "remboursement"})
			for _, c := range page.Items {
				ids = append(ids, c.ID)
			}
			return err
		}))
		return ids
	}
	require.Equal(t, []string{convID}, search())

	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	q, err := inbox.ParseSearch("rembours*")
	require.NoError(t, err)
	d := s.Dialect()
	match := d.Match(q.Terms)
	ids, complete, err := d.MatchedConversations(ctx, db, "acme", match, 10)
	require.NoError(t, err)
	require.True(t, complete)
	require.Equal(t, []string{convID}, ids)
	hits, err := d.ConversationsMatching(ctx, db, "acme", match, []string{convID})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{convID: true}, hits, "the walk of frequent words")
	scores, err := d.Rank(ctx, db, "acme", match, []string{convID})
	require.NoError(t, err)
	require.Contains(t, scores, convID)

	// As if written before notes were indexed.
	require.NoError(t, s.Close())
	_, err = db.ExecContext(ctx, `DELETE FROM messages_fts WHERE rowid = (SELECT -seq - ? FROM notes)`, sqlstore.NoteSeqBase)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `UPDATE notes SET indexed = 0`)
	require.NoError(t, err)
	ids, _, err = d.MatchedConversations(ctx, db, "acme", match, 10)
	require.NoError(t, err)
	require.Empty(t, ids, "the note is out of the index")
	s = openAt(t, path)
	require.Equal(t, []string{convID}, search(), "indexed again on open")
	var indexed int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT indexed FROM notes`).Scan(&indexed))
	require.Equal(t, 1, indexed)
}
