package app_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStaleReplyAndPresence: a reply written against a conversation that
// received a colleague's reply since is refused with what happened, and
// goes out when forced; presence reports list who else is there.
func TestStaleReplyAndPresence(t *testing.T) {
	_, ts := newServer(t)
	claire, hugo := admin(t, ts.URL), agent(t, ts.URL)
	conv := findConv(t, claire, "Éléonore Dubois")

	var who struct {
		Items []struct {
			Employee, Name, State string
		} `json:"items"`
	}
	hugo.json(http.MethodPost, "/inbox/conversations/"+conv.ID+"/presence", map[string]string{"state": "replying"}, http.StatusOK, &who)
	require.Empty(t, who.Items)
	claire.json(http.MethodPost, "/inbox/conversations/"+conv.ID+"/presence", map[string]string{"state": "viewing"}, http.StatusOK, &who)
	require.Len(t, who.Items, 1)
	require.Equal(t, "Hugo Bernard", who.Items[0].Name)
	require.Equal(t, "replying", who.Items[0].State)
	res, _ := claire.do(http.MethodPost, "/inbox/conversations/"+conv.ID+"/presence", map[string]string{"state": "dancing"})
	require.Equal(t, http.StatusBadRequest, res.StatusCode)

	var d struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	claire.json(http.MethodGet, "/inbox/conversations/"+conv.ID, nil, http.StatusOK, &d)
	seen := d.Messages[len(d.Messages)-1].ID

	hugo.json(http.MethodPost, "/inbox/conversations/"+conv.ID+"/reply", map[string]any{"text": "Le colis est en route.", "seen_message_id": seen}, http.StatusCreated, nil)
	var problem struct {
		Type  string `json:"type"`
		Newer []struct {
			Who, Summary string
		} `json:"newer"`
	}
	claire.json(http.MethodPost, "/inbox/conversations/"+conv.ID+"/reply", map[string]any{"text": "Votre colis part demain.", "seen_message_id": seen}, http.StatusConflict, &problem)
	require.Equal(t, "/inbox/problems/stale-thread", problem.Type)
	require.Len(t, problem.Newer, 1)
	require.Equal(t, "Hugo Bernard replied", problem.Newer[0].Summary)
	claire.json(http.MethodPost, "/inbox/conversations/"+conv.ID+"/reply", map[string]any{"text": "Votre colis part demain.", "seen_message_id": seen, "force": true}, http.StatusCreated, nil)
}
