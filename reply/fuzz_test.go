package reply_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/reply"
)

// testdataDocs returns the knowledge-base documents in testdata with their
// format.
func testdataDocs(t testing.TB) map[string]string {
	t.Helper()
	docs := map[string]string{}
	for name, format := range map[string]string{"faq.md": reply.FormatMarkdown, "garantie.html": reply.FormatHTML, "horaires.txt": reply.FormatText} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		docs[format] = string(raw)
	}
	return docs
}

func TestTestdataDocuments(t *testing.T) {
	docs := testdataDocs(t)
	md, err := reply.Chunk(reply.FormatMarkdown, docs[reply.FormatMarkdown], reply.ChunkOptions{})
	require.NoError(t, err)
	require.Contains(t, md, "Questions fréquentes — Maison Lumière › Livraison › Délais\nLes commandes passées avant 14 h partent le jour même (du lundi au vendredi). Comptez 48 h en Colissimo et 24 h en Chronopost.")
	require.Contains(t, md, "Questions fréquentes — Maison Lumière › Rendez-vous\nRéservez un créneau avec un conseiller : https://rdv.maison-lumiere.example/atelier\nHoraires : mardi–samedi, 10 h – 18 h")

	html, err := reply.PlainText(reply.FormatHTML, docs[reply.FormatHTML])
	require.NoError(t, err)
	require.Equal(t, "Accueil › Garantie\n\nGarantie\n\nToutes nos lampes sont garanties 2 ans, pièces et main-d'œuvre.\n\n"+
		"Ce qui n'est pas couvert\n\n- Les ampoules\n- La casse due à une chute\n\nProduit Durée\n\nLampes 2 ans\n\nAbat-jour 1 an\n\n"+
		"Pour toute demande : sav@maison-lumiere.example", html)
}

func FuzzChunk(f *testing.F) {
	for format, body := range testdataDocs(f) {
		f.Add(format, body, 300, 80)
	}
	f.Add("markdown", "# a\n\n## b\n\n```\nx", 200, 0)
	f.Add("html", "<h1><p>x</h1><pre>  a\n  b</pre><a href='javascript:x'>y</a>", 250, -1)
	f.Add("text", strings.Repeat("é ", 400), 200, 500)
	f.Fuzz(func(t *testing.T, format, body string, size, overlap int) {
		size = size % 5000
		chunks, err := reply.Chunk(format, body, reply.ChunkOptions{Size: size, Overlap: overlap})
		if err != nil {
			require.ErrorIs(t, err, inbox.ErrInvalid)
			return
		}
		limit := max(size, 200)
		if size == 0 {
			limit = reply.DefaultChunkSize
		}
		for _, c := range chunks {
			require.True(t, utf8.ValidString(c))
			require.NotEmpty(t, strings.TrimSpace(c))
			// a heading path longer than the chunk size is the only excess
			if n := utf8.RuneCountInString(c); n > limit {
				head, _, _ := strings.Cut(c, "\n")
				require.Greater(t, utf8.RuneCountInString(head), limit/2, "only a long heading path may exceed the size")
			}
		}
	})
}

func FuzzPlainText(f *testing.F) {
	for format, body := range testdataDocs(f) {
		f.Add(format, body)
	}
	f.Add("html", "<scr<script>ipt>alert(1)</script><p hidden>x</p>")
	f.Add("markdown", "[a](b)![c](d)**e**_f_`g`<h1>x</h1>")
	f.Fuzz(func(t *testing.T, format, body string) {
		text, err := reply.PlainText(format, body)
		if err != nil {
			require.ErrorIs(t, err, inbox.ErrInvalid)
			return
		}
		require.True(t, utf8.ValidString(text))
	})
}

func FuzzParseSummary(f *testing.F) {
	f.Add("Le client attend sa lampe.", "Commande #12345", "order", "high", 7)
	f.Add("", "", "", "", 0)
	f.Add("x\n\nintent: a · urgency: b · messages: 3", "- y", "-", "-", 1)
	f.Fuzz(func(t *testing.T, text, point, intent, urgency string, n int) {
		_ = reply.ParseSummary(text) // any stored text reads back without panicking
		s := reply.Summary{Text: oneLine(text), Intent: inbox.Intent(noSpace(intent)), Urgency: inbox.Urgency(noSpace(urgency)), Messages: max(n, 1) % 100000}
		if p := oneLine(point); p != "" {
			s.KeyPoints = []string{p}
		}
		if s.Text == "" || strings.HasPrefix(s.Text, "- ") || s.Intent == "-" || s.Urgency == "-" {
			return
		}
		require.Equal(t, s, reply.ParseSummary(s.String()))
	})
}

func oneLine(s string) string {
	if !utf8.ValidString(s) {
		return ""
	}
	return strings.Join(strings.Fields(s), " ")
}

func noSpace(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '·' || r == 0x85 || r == 0xA0 || r == 0x2028 }) {
		return ""
	}
	return s
}
