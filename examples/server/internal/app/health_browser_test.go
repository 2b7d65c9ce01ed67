package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
)

// TestBrowserFailingMailbox: in Settings → Integrations an admin adds a
// mailbox whose server does not answer. The connection test refuses it in
// words and offers to save it switched off; once on, each "Sync now"
// failure stays on the page in words, and after three the mailbox shows
// red "Failing" — not the green of a working one — with the reason, since
// when, and the next try.
func TestBrowserFailingMailbox(t *testing.T) {
	ctx := browser(t)
	_, ts := newServer(t)
	dir := artefacts(t)
	dead := deadPort(t)
	want := "Nothing answers at 127.0.0.1 on port " + dead + ": check the mail server's name and port."

	do(t, ctx, "log in", chromedp.Navigate(ts.URL), chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SendKeys(chromedp.ID("login-email"), demo.Employees[0].Email), chromedp.SendKeys(chromedp.ID("login-password"), demo.Password),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	waitJS(t, ctx, "the app", `!document.querySelector('#app').hidden`)
	do(t, ctx, "settings", chromedp.Navigate(ts.URL+"/#/settings"))
	click(t, ctx, `[data-section=integrations]`)
	waitJS(t, ctx, "add form", `!!document.querySelector('[data-cfg=imap_host]')`)

	// Add the mailbox: the connection test fails, in words.
	fill := func(sel, value string) {
		eval[bool](t, ctx, fmt.Sprintf(`(() => { const i = document.querySelector(%q); i.value = %q; i.dispatchEvent(new Event('input', {bubbles: true})); return true })()`, sel, value))
	}
	fill(`[data-field=name]`, "Boutique")
	fill(`[data-cfg=address]`, "boutique@maison-lumiere.example")
	fill(`[data-cfg=imap_host]`, "127.0.0.1")
	fill(`[data-cfg=imap_port]`, dead)
	fill(`[data-cfg=username]`, "boutique@maison-lumiere.example")
	fill(`[data-secret=password]`, "mailbox-password")
	// A plaintext loopback server: the form has no field for it, as
	// production servers use TLS; the test sets it the way the API does.
	eval[bool](t, ctx, `(() => { const f = document.querySelector('[data-cfg=imap_port]'); const x = f.cloneNode(); x.dataset.cfg = 'imap_security'; x.value = 'plain'; f.after(x); return true })()`)
	click(t, ctx, `form.card.form button[type=submit]`)
	waitJS(t, ctx, "test failed", `!!document.querySelector('#test-failed')`)
	require.Contains(t, eval[string](t, ctx, `document.querySelector('#test-failed').textContent`), want)
	screenshot(t, ctx, dir, "integration-test-failed")

	// Saved anyway, switched off: grey, not green.
	click(t, ctx, `#save-anyway`)
	waitJS(t, ctx, "disabled row", `[...document.querySelectorAll('tbody tr')].some(r => r.textContent.includes('Boutique') && r.querySelector('[data-health=disabled]'))`)
	c := admin(t, ts.URL)
	id := findIntegrationByName(t, c, "Boutique")
	var in healthJSON
	c.json(http.MethodGet, "/inbox/integrations/"+id, nil, http.StatusOK, &in)
	// Switched on without a test, as an admin may while the server is
	// being repaired.
	c.json(http.MethodPatch, "/inbox/integrations/"+id+"?test=false", map[string]any{"enabled": true, "version": in.Version}, http.StatusOK, nil)
	click(t, ctx, `[data-section=integrations]`)

	rowJS := `[...document.querySelectorAll('tbody tr')].find(r => r.textContent.includes('Boutique'))`
	syncNow := func() {
		// Dismiss the previous outcome, so the next one is this sync's.
		eval[bool](t, ctx, `(document.querySelector('#sync-notice button')?.click(), true)`)
		waitJS(t, ctx, "notice dismissed", `!document.querySelector('#sync-notice')`)
		waitJS(t, ctx, "sync button", rowJS+` && [...`+rowJS+`.querySelectorAll('button')].some(b => b.textContent === 'Sync now')`)
		eval[bool](t, ctx, `([...`+rowJS+`.querySelectorAll('button')].find(b => b.textContent === 'Sync now').click(), true)`)
		waitJS(t, ctx, "sync notice", `!!document.querySelector('#sync-notice.error')`)
	}
	syncNow()
	notice := eval[string](t, ctx, `document.querySelector('#sync-notice').textContent`)
	require.Contains(t, notice, "Boutique could not be synced. "+want)
	require.NotContains(t, notice, "dial tcp")
	waitJS(t, ctx, "degraded", rowJS+`.querySelector('[data-health=degraded]') !== null`)
	// The failure stays on the page, unlike a toast (gone after ~4.6 s).
	time.Sleep(5 * time.Second)
	require.True(t, eval[bool](t, ctx, `!!document.querySelector('#sync-notice')`), "the failure is still shown")

	syncNow()
	syncNow()
	waitJS(t, ctx, "failing", rowJS+`.querySelector('[data-health=failing]') !== null`)
	screenshot(t, ctx, dir, "integration-failing")

	// Red, and not the colour of a working integration.
	failing := eval[string](t, ctx, `getComputedStyle(`+rowJS+`.querySelector('[data-health=failing]')).color`)
	working := eval[string](t, ctx, `getComputedStyle(document.querySelector('[data-health=ok]')).color`)
	require.Equal(t, "rgb(179, 38, 30)", failing)
	require.NotEqual(t, working, failing)
	require.Equal(t, "Failing", eval[string](t, ctx, rowJS+`.querySelector('[data-health=failing]').textContent`))

	// The details: the reason in words, since when, the next try.
	require.True(t, eval[bool](t, ctx, rowJS+`.querySelector('details.health-details').open`), "details open for a failing mailbox")
	require.Equal(t, want, eval[string](t, ctx, rowJS+`.querySelector('.health-problem').textContent`))
	since := eval[string](t, ctx, rowJS+`.querySelector('.health-since').textContent`)
	next := eval[string](t, ctx, rowJS+`.querySelector('.health-next').textContent`)
	require.Regexp(t, `\d{2}:\d{2}`, since)
	require.Regexp(t, `\d{2}:\d{2}`, next, "a retry time, not a wait for new settings")
	details := eval[string](t, ctx, rowJS+`.querySelector('details.health-details').textContent`)
	require.Contains(t, details, "failed attempts in a row")
	for _, raw := range []string{"imap", "dial", "ErrTemporary", "127.0.0.1:" + dead} {
		require.False(t, strings.Contains(details, raw), "no developer text in the details: %q in %q", raw, details)
	}

	// The admin is notified, in words, and the notification leads to the
	// integrations page.
	waitJS(t, ctx, "bell count", `!document.querySelector('#bell-count').hidden`)
	click(t, ctx, `#bell`)
	waitJS(t, ctx, "failing notification", `[...document.querySelectorAll('#notif-panel .notif')].some(n => n.querySelector('.notif-kind').textContent === 'Integration failing')`)
	text := eval[string](t, ctx, `[...document.querySelectorAll('#notif-panel .notif')].find(n => n.querySelector('.notif-kind').textContent === 'Integration failing').querySelector('.notif-text').textContent`)
	require.Contains(t, text, "Boutique has failed 3 times in a row since ")
	require.Contains(t, text, want)
}

// findIntegrationByName is the id of the integration named name.
func findIntegrationByName(t *testing.T, c *client, name string) string {
	t.Helper()
	var l struct {
		Items []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	c.json(http.MethodGet, "/inbox/integrations", nil, http.StatusOK, &l)
	for _, in := range l.Items {
		if in.Name == name {
			return in.ID
		}
	}
	t.Fatalf("no integration %q", name)
	return ""
}
