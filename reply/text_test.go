package reply_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/reply"
)

func TestPlainText(t *testing.T) {
	for _, tc := range []struct {
		name, format, body string
		want               string
		notContains        []string
	}{
		{
			name: "text paragraphs", format: "text",
			body: "Bonjour.\r\n\r\nLivraison en 48 h.\n  \nRetours sous 30 jours.",
			want: "Bonjour.\n\nLivraison en 48 h.\n\nRetours sous 30 jours.",
		},
		{
			name: "markdown", format: "markdown",
			body: "# Livraison\n\nLes commandes partent en **48 heures** (*jours ouvrés*).\n\n" +
				"* Colissimo\n* Relais\n\nSuivi : [notre page](https://suivi.maison-lumiere.example/x) ou <https://aide.maison-lumiere.example>\n\n" +
				"![logo](logo.png)\n\nAide\n----\n\n```\ncode  gardé\n```\n\n> citation",
			want: "Livraison\n\nLes commandes partent en 48 heures (jours ouvrés).\n\n- Colissimo\n- Relais\n\n" +
				"Suivi : notre page (https://suivi.maison-lumiere.example/x) ou https://aide.maison-lumiere.example\n\nlogo\n\nAide\n\ncode  gardé\n\ncitation",
		},
		{
			name: "html", format: "html",
			body: `<html><head><title>t</title><style>p{}</style></head><body><h1>Rendez-vous</h1>
				<p>Prenez rendez-vous <a href="https://rdv.maison-lumiere.example/atelier">en ligne</a>.<br>Du lundi au vendredi.</p>
				<script>alert("x")</script><ul><li>Atelier</li><li>Boutique</li></ul>
				<p hidden>caché</p><a href="javascript:evil()">clic</a><p>Contact : <a href="mailto:rdv@maison-lumiere.example">rdv@maison-lumiere.example</a></p></body></html>`,
			want:        "Rendez-vous\n\nPrenez rendez-vous en ligne (https://rdv.maison-lumiere.example/atelier) .\nDu lundi au vendredi.\n\n- Atelier\n- Boutique\n\nclic\n\nContact : rdv@maison-lumiere.example",
			notContains: []string{"alert", "caché", "javascript", "p{}"},
		},
		{name: "broken html", format: "html", body: "<p>Ouvert <b>7j/7<p>Fermé le 25", want: "Ouvert 7j/7\n\nFermé le 25"},
		{
			// A paragraph inside a link ends the one being written.
			name: "block inside a link", format: "html",
			body: `Voir <a href="https://aide.maison-lumiere.example/retours"><p>les retours</p></a> ici`,
			want: "Voir\n\nles retours\n\n(https://aide.maison-lumiere.example/retours) ici",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := reply.PlainText(tc.format, tc.body)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			for _, s := range tc.notContains {
				require.NotContains(t, got, s)
			}
		})
	}
}

func TestPlainTextRejectsBadInput(t *testing.T) {
	_, err := reply.PlainText("pdf", "x")
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, "format")
	_, err = reply.PlainText("text", "caf\xe9")
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, "UTF-8")
}

func TestChunkFollowsStructure(t *testing.T) {
	long := strings.Repeat("Les lampes sont garanties deux ans pièces et main-d'œuvre. ", 40)
	body := "# Garantie\n\n" + long + "\n\n## Exclusions\n\nLes ampoules ne sont pas couvertes.\n\n# Livraison\n\nExpédition sous 48 heures."
	chunks, err := reply.Chunk("markdown", body, reply.ChunkOptions{Size: 400, Overlap: 100})
	require.NoError(t, err)
	require.Greater(t, len(chunks), 4)
	for _, c := range chunks {
		require.LessOrEqual(t, utf8.RuneCountInString(c), 400, c)
	}
	// the long section is split into overlapping chunks that all carry its heading
	require.True(t, strings.HasPrefix(chunks[0], "Garantie\nLes lampes"))
	require.True(t, strings.HasPrefix(chunks[1], "Garantie\n"))
	firstTail := chunks[0][strings.LastIndex(chunks[0], "Les lampes"):]
	require.Contains(t, chunks[1], firstTail, "consecutive chunks overlap by whole sentences")
	// sections never share a chunk; nested headings are a path
	last := chunks[len(chunks)-1]
	require.Equal(t, "Livraison\nExpédition sous 48 heures.", last)
	require.Equal(t, "Garantie › Exclusions\nLes ampoules ne sont pas couvertes.", chunks[len(chunks)-2])
}

func TestChunkSplitsWordsWhenASentenceIsTooLong(t *testing.T) {
	body := strings.Repeat("mot ", 500) // 2000 characters, no sentence end
	chunks, err := reply.Chunk("text", body, reply.ChunkOptions{Size: 300, Overlap: -1})
	require.NoError(t, err)
	require.Greater(t, len(chunks), 6)
	for _, c := range chunks {
		require.LessOrEqual(t, utf8.RuneCountInString(c), 300)
		require.False(t, strings.HasPrefix(c, "ot"), "cut between words")
	}
	require.Equal(t, strings.Fields(body), strings.Fields(strings.Join(chunks, " ")), "without overlap nothing is repeated or lost")
}
