package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
)

// logIn opens the server in the browser and signs in as the demo employee.
func logIn(t *testing.T, ctx context.Context, base string, e demo.Employee) {
	t.Helper()
	do(t, ctx, "open login", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("login-email")))
	do(t, ctx, "log in as "+e.ID,
		chromedp.SendKeys(chromedp.ID("login-email"), e.Email),
		chromedp.SendKeys(chromedp.ID("login-password"), demo.Password),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	waitJS(t, ctx, "conversations listed", `document.querySelectorAll('.row').length > 0`)
}

type folderJSON struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Position  int             `json:"position"`
	Rules     json.RawMessage `json:"rules"`
	AutoReply json.RawMessage `json:"auto_reply"`
}

func listFolders(t *testing.T, c *client) []folderJSON {
	t.Helper()
	var out struct {
		Items []folderJSON `json:"items"`
	}
	c.json(http.MethodGet, "/inbox/folders", nil, http.StatusOK, &out)
	return out.Items
}

// TestBrowserFolderEditor saves every demo folder from the editor without
// a change and proves the API answers the same folder afterwards (rules,
// every action, auto-reply); then reorders folders with the arrows and
// shows the warning of an approve-mode folder on a server without AI.
func TestBrowserFolderEditor(t *testing.T) {
	ctx := browser(t)
	_, ts := newServer(t)
	api := admin(t, ts.URL)
	// Give one folder the auto-reply fields the editor does not show.
	folders := listFolders(t, api)
	var support folderJSON
	for _, f := range folders {
		if f.Name == "Support" {
			support = f
		}
	}
	api.json(http.MethodPatch, "/inbox/folders/"+support.ID, map[string]any{
		"auto_reply": map[string]any{"mode": "approve", "prompt": "Be brief.", "max_per_contact_per_day": 2, "min_confidence": 0.8}}, http.StatusOK, nil)
	before := listFolders(t, api)

	logIn(t, ctx, ts.URL, demo.Employees[0])
	do(t, ctx, "settings", chromedp.Navigate(ts.URL+"/#/settings"))
	for _, f := range before {
		click(t, ctx, fmt.Sprintf(`#folder-order li[data-id=%q] .folder-name`, f.ID))
		waitJS(t, ctx, "editor of "+f.Name, fmt.Sprintf(`document.querySelector('.folder-editor h2')?.textContent === %q`, f.Name))
		click(t, ctx, "#save-folder")
		waitJS(t, ctx, "saved "+f.Name, `[...document.querySelectorAll('.toast')].some(x => x.textContent.includes('Folder saved'))`)
		eval[bool](t, ctx, `(document.querySelectorAll('.toast').forEach(x => x.remove()), true)`)
	}
	after := listFolders(t, api)
	require.Len(t, after, len(before))
	for i := range before {
		require.Equal(t, before[i].Name, after[i].Name)
		require.JSONEq(t, string(before[i].Rules), string(after[i].Rules), "rules of %s kept as they were", before[i].Name)
		require.JSONEq(t, string(before[i].AutoReply), string(after[i].AutoReply), "auto-reply of %s kept as it was", before[i].Name)
	}
	require.Contains(t, string(after[1].Rules), `"intent":"appointment"`, "Rendez-vous keeps its intent")

	// The approve-mode folder says AI is off.
	click(t, ctx, fmt.Sprintf(`#folder-order li[data-id=%q] .folder-name`, support.ID))
	waitJS(t, ctx, "AI warning", `!document.querySelector('#autoreply-warning').hidden && document.querySelector('#autoreply-warning').textContent.includes('no draft will be written')`)
	screenshot(t, ctx, artefacts(t), "10-folder-ai-off")

	// Move the last folder up: the order is stored.
	last := before[len(before)-1]
	click(t, ctx, fmt.Sprintf(`#folder-order li[data-id=%q] .move-up`, last.ID))
	waitJS(t, ctx, "moved up", fmt.Sprintf(`document.querySelectorAll('#folder-order li')[%d]?.dataset.id === %q`, len(before)-2, last.ID))
	order := listFolders(t, api)
	require.Equal(t, last.ID, order[len(order)-2].ID, "the server keeps the new order")
	require.Equal(t, before[len(before)-2].ID, order[len(order)-1].ID)
	for i, f := range order {
		require.Equal(t, i, f.Position)
	}
	// The sidebar follows the order.
	do(t, ctx, "inbox", chromedp.Navigate(ts.URL+"/#/inbox"))
	waitJS(t, ctx, "sidebar order", fmt.Sprintf(`[...document.querySelectorAll('#folder-list .side-label')].map(x => x.textContent)[%d] === %q`, len(before)-2, last.Name))
}
