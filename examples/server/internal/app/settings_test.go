package app_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
)

// TestRenameThroughSettings renames the tenant from the settings page:
// the rename is audited, and a change the engine refuses keeps the old
// name as well as the old settings.
func TestRenameThroughSettings(t *testing.T) {
	a, ts := newServer(t)
	c := admin(t, ts.URL)
	var st struct {
		Name        string `json:"name"`
		ReplyPrompt string `json:"reply_prompt"`
	}
	c.json(http.MethodPatch, "/inbox/settings", map[string]any{"name": " Maison Lumière Paris "}, http.StatusOK, &st)
	require.Equal(t, "Maison Lumière Paris", st.Name)
	var sess struct {
		Tenant struct{ Name string } `json:"tenant"`
	}
	c.json(http.MethodGet, "/inbox/session", nil, http.StatusOK, &sess)
	require.Equal(t, "Maison Lumière Paris", sess.Tenant.Name)

	var audit struct {
		Items []struct{ Action, Actor, EntityID string } `json:"items"`
	}
	c.json(http.MethodGet, "/inbox/audit?entity="+string(demo.TenantID), nil, http.StatusOK, &audit)
	var renames int
	for _, e := range audit.Items {
		if e.Action == "tenant.rename" {
			renames++
			require.Equal(t, demo.Employees[0].ID, e.Actor)
		}
	}
	require.Equal(t, 1, renames, "%+v", audit.Items)

	// A folder answering with AI needs the company prompt: removing it is
	// refused, and the name in the same request is not applied either.
	rdv := folderID(t, a, "Rendez-vous")
	var f struct{ Version int64 }
	c.json(http.MethodGet, "/inbox/folders/"+rdv, nil, http.StatusOK, &f)
	c.json(http.MethodPatch, "/inbox/folders/"+rdv, map[string]any{"auto_reply": map[string]any{"mode": "approve"}, "version": f.Version}, http.StatusOK, nil)
	p := c.problem(http.MethodPatch, "/inbox/settings", map[string]any{"name": "Autre nom", "reply_prompt": ""}, http.StatusBadRequest)
	require.Equal(t, []string{"reply_prompt"}, p.fields())
	c.json(http.MethodGet, "/inbox/settings", nil, http.StatusOK, &st)
	require.Equal(t, "Maison Lumière Paris", st.Name)
	require.NotEmpty(t, st.ReplyPrompt)
}
