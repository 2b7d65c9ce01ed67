package app_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSearchFindsNoteText: a conversation is found by words that only one
// of its internal notes holds, by any agent, with the list's total.
func TestSearchFindsNoteText(t *testing.T) {
	_, ts := newServer(t)
	claire, hugo := admin(t, ts.URL), agent(t, ts.URL)
	conv := findConv(t, claire, "Léa Fontaine")
	search := func(c *client, q string) []string {
		var l struct {
			listJSON
			Total int `json:"total"`
		}
		c.json(http.MethodGet, "/inbox/conversations?total=1&q="+url.QueryEscape(q), nil, http.StatusOK, &l)
		ids := []string{}
		for _, x := range l.Items {
			ids = append(ids, x.ID)
		}
		require.Len(t, ids, l.Total)
		return ids
	}
	require.Empty(t, search(hugo, "zephyrin"))
	claire.json(http.MethodPost, "/inbox/conversations/"+conv.ID+"/notes", map[string]any{"body": "Remboursement du Zéphyrin offert, voir l'entrepôt."}, http.StatusCreated, nil)
	require.Equal(t, []string{conv.ID}, search(hugo, "zephyrin"))
	require.Equal(t, []string{conv.ID}, search(hugo, "ZÉPHYR* entrepot"))
	require.Empty(t, search(hugo, "from:zephyrin"), "a note has no sender")

	// The result shows the note, the searched words marked.
	var l searchJSON
	hugo.json(http.MethodGet, "/inbox/conversations?q="+url.QueryEscape("ZÉPHYR* entrepot"), nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
	sn := l.Items[0].Snippet
	require.NotNil(t, sn, "a conversation found by its note shows the note")
	require.Equal(t, "note", sn.In)
	require.NotEmpty(t, sn.NoteID)
	require.Equal(t, "Remboursement du Zéphyrin offert, voir l'entrepôt.", sn.Text)
	var marked []string
	for _, h := range sn.Highlights {
		marked = append(marked, string([]rune(sn.Text)[h.Start:h.End]))
	}
	require.Equal(t, []string{"Zéphyrin", "entrepôt"}, marked)
}
