package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox/textfold"
	"github.com/inboxkit/inboxkit/internal/pgtest"
)

// TestLexemesMatchTheTextParser proves that indexing folded words as they
// are (a binary tsvector built in Go, as IndexBatch sends it) yields what
// PostgreSQL's parser yields for the same folded text, which the query
// side (to_tsquery) still uses, also for rows indexed before.
func TestLexemesMatchTheTextParser(t *testing.T) {
	db := pgtest.Admin(t)
	texts := []string{
		"Bonjour, où en est ma commande n° 12345 ? Merci d'avance — Éléonore",
		"Straße, Œuvre, Ærø, Łódź; ПРИВЕТ мир; Ελληνικά; 日本語のテキスト",
		"bob@example.com https://shop.example/a/b?x=1 3d abc123 1e5 0x1f 007 v1.2.3",
		"tabs\tand\nnew lines, emoji 🙂 and ZWJ 👩‍💻 done",
		strings.Repeat("x", 3000) + " short",
		"",
	}
	for _, text := range texts {
		folded := textfold.Words(text)
		var same bool
		var parsed, direct string
		err := db.QueryRowContext(context.Background(),
			`SELECT strip(to_tsvector('simple', $1)) = $2::tsvector, strip(to_tsvector('simple', $1))::text, $2::tsvector::text`,
			folded, tsvector(lexemes(folded))).Scan(&same, &parsed, &direct)
		require.NoError(t, err)
		require.Truef(t, same, "folded %q\nparser: %s\ndirect: %s", folded, parsed, direct)
	}
}
