package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// browser starts headless Chromium, or skips (fails when
// INBOXKIT_TEST_REQUIRE_SERVICES is set) when it is not installed.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("INBOXKIT_TEST_REQUIRE_SERVICES") != "" {
			t.Fatal("chromium is required (INBOXKIT_TEST_REQUIRE_SERVICES is set) but not installed; run scripts/install-deps.sh")
		}
		t.Skip("chromium is not installed (Debian package chromium; scripts/install-deps.sh installs it)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-GB"),
		// Two sessions side by side (two agents) must both run at full
		// speed, not as a throttled background tab.
		chromedp.Flag("disable-background-timer-throttling", true), chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// artefacts is where screenshots go: $INBOXKIT_ARTIFACTS, else a
// temporary directory.
func artefacts(t *testing.T) string {
	dir := os.Getenv("INBOXKIT_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, "browser")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// do runs steps, failing the test with the step name. A single step whose
// node a live re-render replaced between lookup and use ("Could not find
// node") is looked up again, up to three times; sequences are not
// retried, since a repeated step could type twice.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	err := chromedp.Do(ctx, steps...)
	for try := 0; err != nil && len(steps) == 1 && strings.Contains(err.Error(), "Could not find node") && try < 3; try++ {
		time.Sleep(100 * time.Millisecond)
		err = chromedp.Do(ctx, steps...)
	}
	require.NoError(t, err, what)
}

// eval runs JavaScript and returns its result.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}

// waitJS polls a JavaScript predicate until it is true.
func waitJS(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
	require.NoError(t, err, "waiting for %s (%s)", what, js)
}

// click waits for an element and clicks it from inside the page, in one
// step, so a live re-render between finding and clicking cannot detach it.
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	waitJS(t, ctx, sel, fmt.Sprintf(`!!document.querySelector(%q)`, sel))
	eval[bool](t, ctx, fmt.Sprintf(`(document.querySelector(%q).click(), true)`, sel))
}

// setSelect chooses an option of a <select> as a user would.
func setSelect(t *testing.T, ctx context.Context, sel, value string) {
	t.Helper()
	eval[bool](t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, sel, value))
}

func openRow(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	waitJS(t, ctx, "row "+name, fmt.Sprintf(`[...document.querySelectorAll('.row')].some(r => r.querySelector('.row-name').textContent === %q)`, name))
	eval[bool](t, ctx, fmt.Sprintf(`(() => { [...document.querySelectorAll('.row')].find(r => r.querySelector('.row-name').textContent === %q).click(); return true })()`, name))
}

func TestBrowserEndToEnd(t *testing.T) {
	ctx := browser(t)
	a, ts := newServerWithHistory(t, 80)
	dir := artefacts(t)
	t.Logf("screenshots in %s", dir)

	// Log in.
	do(t, ctx, "open login", chromedp.Navigate(ts.URL), chromedp.WaitVisible(chromedp.ID("login-email")))
	waitJS(t, ctx, "demo login hint", `!!document.querySelector('#demo-fill')`)
	screenshot(t, ctx, dir, "00-login")
	do(t, ctx, "wrong password", chromedp.SendKeys(chromedp.ID("login-email"), demo.Employees[0].Email),
		chromedp.SendKeys(chromedp.ID("login-password"), "not-the-password"), chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	waitJS(t, ctx, "login error", `document.querySelector('#login-error').textContent.length > 0`)
	eval[bool](t, ctx, `(document.querySelector('#login-email').value = '', document.querySelector('#login-password').value = '', true)`)
	do(t, ctx, "log in",
		chromedp.SendKeys(chromedp.ID("login-email"), demo.Employees[0].Email),
		chromedp.SendKeys(chromedp.ID("login-password"), demo.Password),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	// The default view is open work; the rest of this walk uses them all.
	waitJS(t, ctx, "open work", `document.querySelector('#list-title')?.textContent === 'Open work' && document.querySelectorAll('.row').length > 0 && ![...document.querySelectorAll('.row')].some(r => /st-(resolved|archived|spam)/.test(r.className))`)
	click(t, ctx, `.side-item[data-view=all]`)
	waitJS(t, ctx, "demo conversations", `document.querySelectorAll('.row').length >= 20`)
	waitJS(t, ctx, "live stream", `document.querySelector('#live').classList.contains('on')`)
	screenshot(t, ctx, dir, "01-inbox-1280")
	require.Contains(t, eval[string](t, ctx, `document.querySelector('#folder-list').textContent`), "Rendez-vous")

	// Filter by status.
	setSelect(t, ctx, "#filter-status", "urgent")
	waitJS(t, ctx, "only urgent rows", `(() => { const r = [...document.querySelectorAll('.row')]; return r.length > 0 && r.length < 10 && r.every(x => x.classList.contains('st-urgent')) })()`)
	setSelect(t, ctx, "#filter-status", "")
	waitJS(t, ctx, "filter cleared", `document.querySelectorAll('.row').length >= 20`)

	// Live search.
	do(t, ctx, "search", chromedp.SendKeys(chromedp.ID("search"), "Opaline"))
	waitJS(t, ctx, "search results", `(() => { const r = [...document.querySelectorAll('.row')]; return r.length > 0 && r.length < 6 && r.some(x => x.textContent.includes('Éléonore')) })()`)
	screenshot(t, ctx, dir, "02-search")
	eval[bool](t, ctx, `(() => { const s = document.querySelector('#search'); s.value = ''; s.dispatchEvent(new Event('input')); return true })()`)
	waitJS(t, ctx, "search cleared", `document.querySelectorAll('.row').length >= 20`)

	// Open a thread and reply.
	openRow(t, ctx, "Éléonore Dubois")
	waitJS(t, ctx, "thread", `document.querySelector('#thread-subject')?.textContent.includes('Suivi de ma commande')`)
	const replyText = "Bonjour Madame Dubois, votre suspension part demain matin."
	do(t, ctx, "reply", chromedp.SendKeys(chromedp.ID("composer-text"), replyText))
	do(t, ctx, "send reply", chromedp.Click(chromedp.ID("send-btn")))
	waitJS(t, ctx, "reply in thread", fmt.Sprintf(`[...document.querySelectorAll('.msg.out')].some(m => m.textContent.includes(%q))`, replyText))
	waitJS(t, ctx, "status open after reply", `document.querySelector('#status-select').value === 'open'`)

	// Internal note.
	do(t, ctx, "note tab", chromedp.Click(chromedp.CSS(`.ctab[data-mode=note]`)))
	do(t, ctx, "note", chromedp.SendKeys(chromedp.ID("composer-text"), "Colis vérifié chez le transporteur @hugo"))
	do(t, ctx, "send note", chromedp.Click(chromedp.ID("send-btn")))
	waitJS(t, ctx, "note in thread", `[...document.querySelectorAll('.note')].some(m => m.textContent.includes('Colis vérifié'))`)

	// Move to a folder.
	var facturation string
	require.NoError(t, a.Store.View(context.Background(), demo.TenantID, func(tx driver.Tx) error {
		fs, err := tx.ListFolders()
		for _, f := range fs {
			if f.Name == "Facturation" {
				facturation = f.ID
			}
		}
		return err
	}))
	setSelect(t, ctx, "#folder-select", facturation)
	waitJS(t, ctx, "moved", fmt.Sprintf(`document.querySelector('.row.selected .pill.folder')?.textContent === 'Facturation' && document.querySelector('#folder-select').value === %q`, facturation))

	// Create a follow-up.
	do(t, ctx, "follow-up", chromedp.SendKeys(chromedp.ID("followup-note"), "Vérifier la réception"))
	click(t, ctx, "#followup-add")
	waitJS(t, ctx, "follow-up listed", `document.querySelector('#followup-list').textContent.includes('Vérifier la réception')`)
	click(t, ctx, "#activity-btn")
	waitJS(t, ctx, "activity", `document.querySelector('#activity').textContent.includes('moved to Facturation')`)
	screenshot(t, ctx, dir, "03-thread-1280")

	// Reply with an attachment.
	openRow(t, ctx, "Oliver Bennett")
	waitJS(t, ctx, "thread", `document.querySelector('#thread-subject')?.textContent.includes('Broken glass')`)
	pdf := filepath.Join(t.TempDir(), "return-label.pdf")
	require.NoError(t, os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), 0o644))
	do(t, ctx, "attach", chromedp.SetUploadFiles(chromedp.ID("composer-files"), []string{pdf}, chromedp.NodeReady))
	waitJS(t, ctx, "file chip", `document.querySelector('#composer-files-list').textContent.includes('return-label.pdf')`)
	do(t, ctx, "reply with file", chromedp.SendKeys(chromedp.ID("composer-text"), "Here is your prepaid return label."))
	click(t, ctx, "#send-btn")
	waitJS(t, ctx, "attachment in thread", `[...document.querySelectorAll('.msg.out .att')].some(a => a.textContent.includes('return-label.pdf'))`)

	// Approve the pending draft.
	openRow(t, ctx, "Julien Garnier")
	waitJS(t, ctx, "draft card", `!!document.querySelector('#approve-draft')`)
	screenshot(t, ctx, dir, "04-draft")
	click(t, ctx, "#approve-draft")
	waitJS(t, ctx, "draft sent", `[...document.querySelectorAll('.msg.out')].some(m => m.textContent.includes('Vous trouverez ci-joint')) && !document.querySelector('#approve-draft')`)

	// A message arriving on the web form webhook shows up live.
	var formID string
	require.NoError(t, a.Store.View(context.Background(), demo.TenantID, func(tx driver.Tx) error {
		ins, err := tx.ListIntegrations()
		for _, in := range ins {
			if in.Kind == inbox.SourceWebhook {
				formID = in.ID
			}
		}
		return err
	}))
	body := []byte(`{"external_id":"form-e2e-1","channel":"form","from":{"name":"Zoé Lambert","email":"zoe.lambert@courriel.example"},"subject":"Formulaire de contact : horaires","text":"Êtes-vous ouverts le dimanche ?"}`)
	secret, err := webhook.ParseSecret(a.DemoWebhookSecret)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/inbox/webhooks/custom/"+formID, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	webhook.SignHeaders(req.Header, "msg_e2e_1", time.Now(), body, secret)
	sent := time.Now()
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	stored := time.Now()
	waitJS(t, ctx, "new row", `[...document.querySelectorAll('.row-name')].some(x => x.textContent === 'Zoé Lambert')`)
	shown := time.Now()
	waitJS(t, ctx, "live notification", `[...document.querySelectorAll('.toast')].some(x => x.textContent.includes('New message from Zoé Lambert'))`)
	t.Logf("webhook accepted in %v; row visible %v after the message was stored; notification after %v",
		stored.Sub(sent), shown.Sub(stored), time.Since(stored))
	screenshot(t, ctx, dir, "05-live-notification")

	// The same client writes again by SMS: an admin merges the duplicate.
	_, err = a.Engine.Ingest(context.Background(), demo.TenantID, []inbox.Inbound{{IntegrationID: a.Demo.Integrations[inbox.SourceSMS], Source: inbox.SourceSMS,
		ProviderID: "sms-e2e-zoe", From: inbox.Party{Name: "Zoé (portable)", Phone: "+33698765432"}, Text: "C'est Zoé, depuis mon portable", SentAt: time.Now()}})
	require.NoError(t, err)
	waitJS(t, ctx, "duplicate row", `[...document.querySelectorAll('.row-name')].some(x => x.textContent === 'Zoé (portable)')`)
	openRow(t, ctx, "Zoé Lambert")
	click(t, ctx, "#merge-open")
	do(t, ctx, "search duplicate", chromedp.SendKeys(chromedp.ID("merge-search"), "Zoé"))
	waitJS(t, ctx, "duplicate found", `document.querySelector('#merge-results')?.textContent.includes('Zoé (portable)')`)
	require.NotContains(t, eval[string](t, ctx, `document.querySelector('#merge-results').textContent`), "zoe.lambert@", "the client on screen is not offered")
	click(t, ctx, "#merge-results button")
	waitJS(t, ctx, "merge asks to confirm", `document.querySelector('#merge-results button').textContent.startsWith('Confirm')`)
	screenshot(t, ctx, dir, "05b-merge-confirm")
	click(t, ctx, "#merge-results button")
	waitJS(t, ctx, "merged", `document.querySelector('#client-panel .facts').textContent.includes('+33 6 98 76 54 32') && !document.querySelector('#merge-results')`)
	waitJS(t, ctx, "duplicate gone from the list", `![...document.querySelectorAll('.row-name')].some(x => x.textContent === 'Zoé (portable)')`)
	require.NoError(t, a.Store.View(context.Background(), demo.TenantID, func(tx driver.Tx) error {
		page, err := tx.ListContacts(inbox.ContactQuery{Search: "Zoé"})
		require.Len(t, page.Items, 1, "one client left")
		require.Equal(t, []string{inbox.NormalizePhone("+33698765432")}, page.Items[0].Phones, "the kept client has the number")
		return err
	}))

	// Keyboard: j moves the selection, / focuses search.
	eval[bool](t, ctx, `(document.activeElement && document.activeElement.blur(), true)`)
	before := eval[string](t, ctx, `document.querySelector('.row.selected')?.dataset.id || ''`)
	do(t, ctx, "j", chromedp.KeyEvent("j"))
	waitJS(t, ctx, "selection moved", fmt.Sprintf(`(document.querySelector('.row.selected')?.dataset.id || '') !== %q`, before))

	// Statistics and settings pages.
	do(t, ctx, "stats", chromedp.Navigate(ts.URL+"/#/stats"))
	waitJS(t, ctx, "charts", `!!document.querySelector('.svg-chart') && document.querySelectorAll('.kpi').length === 4`)
	screenshot(t, ctx, dir, "06-stats")
	do(t, ctx, "settings", chromedp.Navigate(ts.URL+"/#/settings"))
	waitJS(t, ctx, "rule builder", `!!document.querySelector('.rule-builder .rule-cond')`)
	click(t, ctx, "#preview-rules")
	waitJS(t, ctx, "preview result", `document.querySelector('#rule-preview').textContent.includes('would match')`)
	screenshot(t, ctx, dir, "07-settings-rules")
	click(t, ctx, ".settings-nav [data-section=knowledge]")
	waitJS(t, ctx, "knowledge documents", `document.querySelectorAll('.docs li').length === 4`)
	screenshot(t, ctx, dir, "07b-settings-knowledge")

	// Phone width.
	do(t, ctx, "phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(ts.URL+"/#/inbox"))
	waitJS(t, ctx, "list on phone", `document.querySelectorAll('.row').length >= 20`)
	screenshot(t, ctx, dir, "08-phone-list")
	openRow(t, ctx, "Hannah Schmidt")
	waitJS(t, ctx, "thread on phone", `document.body.classList.contains('thread-open') && getComputedStyle(document.querySelector('#list-pane')).display === 'none' && document.querySelector('#thread-subject')?.textContent.includes('Change my order')`)
	wide := eval[string](t, ctx, `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392 && e.offsetParent).slice(0, 8).map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right)).join(' | ')`)
	require.LessOrEqual(t, eval[int](t, ctx, `document.documentElement.scrollWidth`), 390, "no horizontal scrolling at phone width: %s", wide)
	screenshot(t, ctx, dir, "09-phone-thread")
	require.False(t, strings.Contains(eval[string](t, ctx, `document.body.textContent`), "undefined"), "no undefined text on the page")
}
