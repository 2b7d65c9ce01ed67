package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
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

// watchPresence notes in the page (window.presenceSeenAt, in ms since the
// epoch) when the presence bar first shows text.
func watchPresence(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	eval[bool](t, ctx, fmt.Sprintf(`(() => {
		window.presenceSeenAt = 0;
		const el = document.querySelector('#presence');
		new MutationObserver((_, obs) => { if (el.textContent.includes(%q)) { window.presenceSeenAt = Date.now(); obs.disconnect(); } })
			.observe(el, { childList: true, subtree: true, characterData: true, attributes: true });
		return true })()`, text))
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
	// Dragging the first folder onto the third puts it there.
	first := order[0]
	eval[bool](t, ctx, fmt.Sprintf(`(() => {
		const dt = new DataTransfer();
		const from = document.querySelector('#folder-order li[data-id=%q]');
		const to = document.querySelectorAll('#folder-order li')[2];
		from.dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: dt }));
		to.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
		to.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
		return true })()`, first.ID))
	waitJS(t, ctx, "dragged", fmt.Sprintf(`document.querySelectorAll('#folder-order li')[2]?.dataset.id === %q`, first.ID))
	order = listFolders(t, api)
	require.Equal(t, first.ID, order[2].ID, "the dragged order is stored")
	last = order[len(order)-2]
	// The sidebar follows the order.
	do(t, ctx, "inbox", chromedp.Navigate(ts.URL+"/#/inbox"))
	waitJS(t, ctx, "sidebar order", fmt.Sprintf(`[...document.querySelectorAll('#folder-list .side-label')].map(x => x.textContent)[%d] === %q`, len(before)-2, last.Name))
}

// TestBrowserPresenceAndCollision puts two agents, in two browser
// sessions, on one conversation: each sees the other viewing and
// replying, and a reply written while the colleague's went out asks
// before sending instead of sending a duplicate.
func TestBrowserPresenceAndCollision(t *testing.T) {
	claire := browser(t)
	_, ts := newServer(t)
	dir := artefacts(t)
	logIn(t, claire, ts.URL, demo.Employees[0])
	hugo, cancel := chromedp.NewContext(claire, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	logIn(t, hugo, ts.URL, demo.Employees[1])

	openRow(t, claire, "Éléonore Dubois")
	waitJS(t, claire, "thread", `document.querySelector('#thread-subject')?.textContent.includes('Suivi de ma commande')`)
	watchPresence(t, claire, "Hugo Bernard is viewing")
	start := time.Now()
	openRow(t, hugo, "Éléonore Dubois")
	waitJS(t, claire, "Hugo is viewing", `document.querySelector('#presence')?.textContent.includes('Hugo Bernard is viewing')`)
	t.Logf("presence shown to the other agent %d ms after the click", eval[int64](t, claire, `window.presenceSeenAt`)-start.UnixMilli())
	waitJS(t, hugo, "Claire is viewing", `document.querySelector('#presence')?.textContent.includes('Claire Martin is viewing')`)
	// The list shows it too, on the conversation's row.
	waitJS(t, claire, "Hugo on the row", `[...document.querySelectorAll('.row')].some(r => r.querySelector('.row-name').textContent === 'Éléonore Dubois' && r.querySelector('.row-presence')?.getAttribute('aria-label') === 'Hugo Bernard is viewing')`)

	// Claire starts a reply; Hugo sees her typing.
	watchPresence(t, hugo, "Claire Martin is replying…")
	start = time.Now()
	do(t, claire, "Claire starts writing", chromedp.SendKeys(chromedp.ID("composer-text"), "B"))
	waitJS(t, hugo, "Claire is replying", `document.querySelector('#presence')?.textContent.includes('Claire Martin is replying…')`)
	t.Logf("typing shown to the other agent %d ms after the key press", eval[int64](t, hugo, `window.presenceSeenAt`)-start.UnixMilli())
	do(t, claire, "Claire writes", chromedp.SendKeys(chromedp.ID("composer-text"), "onjour, votre colis part demain."))
	screenshot(t, hugo, dir, "11-presence-replying")

	// Hugo answers first.
	do(t, hugo, "Hugo writes", chromedp.SendKeys(chromedp.ID("composer-text"), "Bonjour Madame, le colis est en route."))
	click(t, hugo, "#send-btn")
	waitJS(t, hugo, "Hugo's reply sent", `[...document.querySelectorAll('.msg.out')].some(m => m.textContent.includes('le colis est en route'))`)

	// Claire's send asks first and sends nothing.
	click(t, claire, "#send-btn")
	waitJS(t, claire, "stale warning", `!document.querySelector('#stale-warning').hidden && /Hugo Bernard replied \d+ s ago — send anyway\?/.test(document.querySelector('#stale-warning').textContent)`)
	screenshot(t, claire, dir, "12-stale-reply")
	api := admin(t, ts.URL)
	conv := findConv(t, api, "Éléonore Dubois")
	outgoing := func(text string) int {
		var d struct {
			Messages []struct {
				Direction string `json:"direction"`
				Text      string `json:"text"`
			} `json:"messages"`
		}
		api.json(http.MethodGet, "/inbox/conversations/"+conv.ID, nil, http.StatusOK, &d)
		n := 0
		for _, m := range d.Messages {
			if m.Direction == "out" && strings.Contains(m.Text, text) {
				n++
			}
		}
		return n
	}
	require.Equal(t, 0, outgoing("votre colis part demain"), "nothing sent before Claire decides")
	require.Equal(t, "Bonjour, votre colis part demain.", eval[string](t, claire, `document.querySelector('#composer-text').value`), "her text is kept")
	waitJS(t, claire, "Hugo's reply shown to Claire", `[...document.querySelectorAll('.msg.out')].some(m => m.textContent.includes('le colis est en route'))`)

	// She sends anyway: one reply goes out.
	click(t, claire, "#stale-send")
	waitJS(t, claire, "Claire's reply sent", `[...document.querySelectorAll('.msg.out')].some(m => m.textContent.includes('votre colis part demain')) && document.querySelector('#stale-warning').hidden`)
	require.Equal(t, 1, outgoing("votre colis part demain"))

	// Hugo leaves: Claire no longer sees him.
	do(t, hugo, "Hugo goes to statistics", chromedp.Navigate(ts.URL+"/#/stats"))
	openRow(t, hugo, "Oliver Bennett")
	waitJS(t, claire, "Hugo gone", `document.querySelector('#presence').hidden`)
}

// TestBrowserClientPanelOnPhone: at 390×844 the client panel (tasks,
// follow-ups, history) is one tap away from the conversation, and works.
func TestBrowserClientPanelOnPhone(t *testing.T) {
	ctx := browser(t)
	_, ts := newServerWithHistory(t, 40)
	do(t, ctx, "phone", chromedp.EmulateViewport(390, 844))
	logIn(t, ctx, ts.URL, demo.Employees[1])
	openRow(t, ctx, "Éléonore Dubois")
	waitJS(t, ctx, "thread on phone", `document.body.classList.contains('thread-open') && document.querySelector('#thread-subject')?.textContent.includes('Suivi de ma commande')`)
	visible := func(sel string) string {
		return fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= 391 })()`, sel)
	}
	require.False(t, eval[bool](t, ctx, visible("#client-panel")), "the thread comes first")
	require.False(t, eval[bool](t, ctx, visible("#status-select")), "the controls give the thread room")
	click(t, ctx, "#controls-toggle")
	waitJS(t, ctx, "controls shown", visible("#status-select")+` && `+visible("#snooze-select"))
	click(t, ctx, "#controls-toggle")
	waitJS(t, ctx, "controls hidden", `!(`+visible("#status-select")+`)`)
	require.True(t, eval[bool](t, ctx, visible("#tab-client")), "the client tab is shown")
	click(t, ctx, "#tab-client")
	waitJS(t, ctx, "client panel", visible("#client-panel"))
	for _, sel := range []string{"#task-title", "#followup-list", "#followup-add", "#client-panel section:last-child"} {
		waitJS(t, ctx, sel+" reachable", `(() => { const e = document.querySelector(`+fmt.Sprintf("%q", sel)+`); if (!e) return false; e.scrollIntoView(); const r = e.getBoundingClientRect(); return r.width > 0 && r.right <= 391 })()`)
	}
	require.Contains(t, eval[string](t, ctx, `document.querySelector("#client-panel").textContent`), "History")
	require.False(t, eval[bool](t, ctx, visible("#composer")), "the composer gives way to the panel")
	screenshot(t, ctx, artefacts(t), "13-phone-client-panel")

	// Add a task from the phone.
	do(t, ctx, "task", chromedp.SendKeys(chromedp.ID("task-title"), "Rappeler la cliente"))
	click(t, ctx, "#task-add")
	waitJS(t, ctx, "task listed", `document.querySelector('#task-list').textContent.includes('Rappeler la cliente')`)
	require.LessOrEqual(t, eval[int](t, ctx, `document.documentElement.scrollWidth`), 390, "no horizontal scrolling")

	// Back to the conversation.
	click(t, ctx, "#tab-conversation")
	waitJS(t, ctx, "thread again", visible("#composer")+` && !(`+visible("#client-panel")+`)`)
}

// TestBrowserTeamViews walks the Team page: the drafts waiting for
// approval, my tasks and follow-ups, the activity log with its filters,
// and the People list where an admin invites a colleague and changes
// roles; errors read as sentences.
func TestBrowserTeamViews(t *testing.T) {
	ctx := browser(t)
	a, ts := newServer(t)
	dir := artefacts(t)
	claire, hugo := admin(t, ts.URL), agent(t, ts.URL)
	oliver := findConv(t, claire, "Oliver Bennett")
	claire.json(http.MethodPost, "/inbox/conversations/"+oliver.ID+"/tasks", map[string]any{"title": "Envoyer l'étiquette retour", "assignee": "claire"}, http.StatusCreated, nil)
	hannah := findConv(t, hugo, "Hannah Schmidt")
	hugo.json(http.MethodPost, "/inbox/conversations/"+hannah.ID+"/move", map[string]any{"folder_id": folderID(t, a, "Facturation")}, http.StatusOK, nil)

	logIn(t, ctx, ts.URL, demo.Employees[0])
	do(t, ctx, "team", chromedp.Navigate(ts.URL+"/#/team"))

	// Drafts waiting for approval, one click from the conversation.
	waitJS(t, ctx, "drafts", `document.querySelector('#draft-list')?.textContent.includes('Julien Garnier')`)
	screenshot(t, ctx, dir, "14-team-drafts")
	eval[bool](t, ctx, `([...document.querySelectorAll('#draft-list .conv-link')].find(b => b.textContent.includes('Julien Garnier')).click(), true)`)
	waitJS(t, ctx, "draft opened", `location.hash.startsWith('#/inbox/c/') && !!document.querySelector('#approve-draft')`)

	// My tasks and follow-ups.
	do(t, ctx, "team again", chromedp.Navigate(ts.URL+"/#/team"))
	click(t, ctx, `.settings-nav [data-section=work]`)
	waitJS(t, ctx, "my task", `document.querySelector('#my-tasks')?.textContent.includes("Envoyer l'étiquette retour") && document.querySelector('#my-tasks').textContent.includes('Oliver Bennett')`)
	setSelect(t, ctx, "#work-who", "all")
	waitJS(t, ctx, "everyone's follow-ups", `document.querySelector('#my-followups')?.textContent.includes('Relancer Colissimo')`)
	screenshot(t, ctx, dir, "15-team-tasks")
	setSelect(t, ctx, "#work-who", "me")
	waitJS(t, ctx, "mine again", `!!document.querySelector('#my-tasks') && !(document.querySelector('#my-followups')?.textContent || '').includes('Relancer Colissimo')`)
	eval[bool](t, ctx, `([...document.querySelectorAll('#my-tasks li')].find(li => li.textContent.includes("Envoyer l'étiquette retour")).querySelector('input[type=checkbox]').click(), true)`)
	waitJS(t, ctx, "task done", `!document.querySelector('#my-tasks') || !document.querySelector('#my-tasks').textContent.includes("Envoyer l'étiquette retour")`)

	// The activity log names people and filters by who and what.
	click(t, ctx, `.settings-nav [data-section=audit]`)
	waitJS(t, ctx, "audit", `document.querySelectorAll('#audit-list li').length > 3`)
	setSelect(t, ctx, "#audit-who", "hugo")
	waitJS(t, ctx, "Hugo's actions", `(() => { const l = [...document.querySelectorAll('#audit-list li')]; return l.length > 0 && l.every(x => x.textContent.startsWith('Hugo Bernard')) && l.some(x => x.textContent.includes('Hugo Bernard moved to Facturation')) })()`)
	setSelect(t, ctx, "#audit-what", "conversation.assign")
	waitJS(t, ctx, "no move among assignments", `![...document.querySelectorAll('#audit-list li')].some(x => x.textContent.includes('moved'))`)
	setSelect(t, ctx, "#audit-who", "")
	setSelect(t, ctx, "#audit-what", "conversation.move")
	waitJS(t, ctx, "moves only", `(() => { const l = [...document.querySelectorAll('#audit-list li')]; return l.length > 0 && l.every(x => x.dataset.action === 'conversation.move') })()`)
	screenshot(t, ctx, dir, "16-team-audit")

	// People: invite a colleague, who can then sign in.
	click(t, ctx, `.settings-nav [data-section=people]`)
	waitJS(t, ctx, "people", `document.querySelectorAll('#people tr').length === 4`)
	do(t, ctx, "invite", chromedp.SendKeys(chromedp.ID("invite-name"), "Nadia Petit"), chromedp.SendKeys(chromedp.ID("invite-email"), "nadia@maison-lumiere.example"))
	click(t, ctx, "#invite-send")
	waitJS(t, ctx, "invited", `document.querySelectorAll('#people tr').length === 5 && !!document.querySelector('#invite-done code')`)
	screenshot(t, ctx, dir, "17-team-people")
	password := eval[string](t, ctx, `document.querySelector('#invite-done code').textContent`)
	nadia := newClient(t, ts.URL).login("nadia@maison-lumiere.example", password)
	var me struct {
		User struct{ ID, Role string } `json:"user"`
	}
	nadia.json(http.MethodGet, "/inbox/session", nil, http.StatusOK, &me)
	require.Equal(t, "agent", me.User.Role)
	// Inviting the same address again says so plainly.
	do(t, ctx, "invite twice", chromedp.SendKeys(chromedp.ID("invite-name"), "Nadia Petit"), chromedp.SendKeys(chromedp.ID("invite-email"), "nadia@maison-lumiere.example"))
	click(t, ctx, "#invite-send")
	waitJS(t, ctx, "plain error", `document.querySelector('#invite-form .form-error')?.textContent === 'This email address already has an account.'`)

	// Roles: Nadia becomes admin; the last admin cannot step down.
	setSelect(t, ctx, `#people tr[data-id="`+me.User.ID+`"] .role-select`, "admin")
	waitJS(t, ctx, "role toast", `[...document.querySelectorAll('.toast')].some(x => x.textContent.includes('Nadia Petit is now an admin'))`)
	nadia.json(http.MethodGet, "/inbox/session", nil, http.StatusOK, &me)
	require.Equal(t, "admin", me.User.Role, "the new role holds at once")
	setSelect(t, ctx, `#people tr[data-id="`+me.User.ID+`"] .role-select`, "agent")
	waitJS(t, ctx, "back to agent", `[...document.querySelectorAll('.toast')].some(x => x.textContent.includes('Nadia Petit is now an agent'))`)
	setSelect(t, ctx, `#people tr[data-id="claire"] .role-select`, "agent")
	waitJS(t, ctx, "last admin kept", `[...document.querySelectorAll('.toast.error')].some(x => x.textContent === 'The company needs at least one admin: make someone else admin first.')`)
	require.Equal(t, "admin", eval[string](t, ctx, `document.querySelector('#people tr[data-id="claire"] .role-select').value`))
}

// TestBrowserPlainErrors: what goes wrong reads as a sentence, and the
// thread names people and says why a message joined in words.
func TestBrowserPlainErrors(t *testing.T) {
	ctx := browser(t)
	_, ts := newServer(t)
	logIn(t, ctx, ts.URL, demo.Employees[1])
	openRow(t, ctx, "Oliver Bennett")
	waitJS(t, ctx, "thread", `document.querySelector('#thread-subject')?.textContent.includes('Broken glass')`)
	click(t, ctx, "#send-btn")
	waitJS(t, ctx, "plain empty-reply error", `[...document.querySelectorAll('.toast.error')].some(x => x.textContent === 'Write a message before sending.')`)
	// A follow-up in the past.
	eval[bool](t, ctx, `(() => { const i = document.querySelector('#followup-due'); i.value = '2020-01-01T10:00'; i.dispatchEvent(new Event('input', { bubbles: true })); return true })()`)
	click(t, ctx, "#followup-add")
	waitJS(t, ctx, "plain date error", `[...document.querySelectorAll('.toast.error')].some(x => x.textContent === 'Pick a date and time in the future.')`)
	// Who moved it is named.
	facturation := eval[string](t, ctx, `[...document.querySelectorAll('#folder-select option')].find(o => o.textContent === 'Facturation').value`)
	setSelect(t, ctx, "#folder-select", facturation)
	waitJS(t, ctx, "moved by a name", `document.querySelector('.why')?.textContent.includes('Moved to Facturation by Hugo Bernard')`)
	body := eval[string](t, ctx, `document.body.innerText`)
	for _, raw := range []string{"in-reply-to", "subject fallback", "bytes", "due_at", "text:", "Filed by rules", "moved by hugo"} {
		require.NotContains(t, body, raw, "no developer wording on the page")
	}
}

// TestBrowserComposerPerChannel: the composer offers what the channel can
// carry: no files on SMS, and on WhatsApp the 24-hour window is shown and
// a closed window stops free text.
func TestBrowserComposerPerChannel(t *testing.T) {
	ctx := browser(t)
	a, ts := newServer(t)
	wa := a.Demo.Integrations[inbox.SourceWhatsApp]
	_, err := a.Engine.Ingest(context.Background(), demo.TenantID, []inbox.Inbound{
		{IntegrationID: wa, Source: inbox.SourceWhatsApp, ProviderID: "wa-window-open", From: inbox.Party{Name: "Nina Roux", Phone: "+33799887766"}, Text: "Bonjour, vous livrez à Lyon ?", SentAt: time.Now().Add(-time.Hour)},
		{IntegrationID: wa, Source: inbox.SourceWhatsApp, ProviderID: "wa-window-closed", From: inbox.Party{Name: "Yann Keller", Phone: "+33788776655"}, Text: "Merci pour la lampe !", SentAt: time.Now().Add(-50 * time.Hour)},
	})
	require.NoError(t, err)
	api := admin(t, ts.URL)
	var l listJSON
	api.json(http.MethodGet, "/inbox/conversations?source=sms&limit=1", nil, http.StatusOK, &l)
	require.NotEmpty(t, l.Items, "a demo SMS conversation")
	sms := l.Items[0]

	logIn(t, ctx, ts.URL, demo.Employees[1])
	do(t, ctx, "open SMS", chromedp.Navigate(ts.URL+"/#/inbox/c/"+sms.ID))
	waitJS(t, ctx, "SMS composer", `document.querySelector('#channel-info')?.textContent.includes('files cannot be sent') && document.querySelector('#attach-btn').hidden`)
	screenshot(t, ctx, artefacts(t), "18-composer-sms")

	openRow(t, ctx, "Nina Roux")
	waitJS(t, ctx, "window open", `/you can reply for another 2[23] h \d+ min/.test(document.querySelector('#channel-info').textContent) && !document.querySelector('#send-btn').disabled && !document.querySelector('#attach-btn').hidden`)

	openRow(t, ctx, "Yann Keller")
	waitJS(t, ctx, "window closed", `document.querySelector('#channel-info').textContent.includes('24-hour reply window closed') && document.querySelector('#send-btn').disabled`)
	screenshot(t, ctx, artefacts(t), "19-composer-whatsapp-closed")
	// A note is still possible.
	click(t, ctx, `.ctab[data-mode=note]`)
	waitJS(t, ctx, "note allowed", `!document.querySelector('#send-btn').disabled && document.querySelector('#channel-info').hidden`)

	openRow(t, ctx, "Oliver Bennett")
	waitJS(t, ctx, "email composer", `document.querySelector('#thread-subject')?.textContent.includes('Broken glass') && !document.querySelector('#attach-btn').hidden && document.querySelector('#channel-info').hidden`)
}

// TestBrowserWorkQueue: the inbox opens on open work by priority;
// resolving moves to the next conversation; snoozing hides one until its
// time; "mark as unread" works; and 50 conversations are assigned, moved
// and resolved at once.
func TestBrowserWorkQueue(t *testing.T) {
	ctx := browser(t)
	a, ts := newServerWithHistory(t, 20)
	dir := artefacts(t)
	var batch []inbox.Inbound
	for i := range 50 {
		batch = append(batch, inbox.Inbound{IntegrationID: a.Demo.Integrations[inbox.SourceSMS], Source: inbox.SourceSMS, ProviderID: fmt.Sprintf("queue-%02d", i),
			From: inbox.Party{Name: fmt.Sprintf("Client %02d", i), Phone: fmt.Sprintf("+3376000%04d", i)}, Text: "Bonjour, une question sur ma commande", SentAt: time.Now().Add(-time.Duration(i) * time.Minute)})
	}
	_, err := a.Engine.Ingest(context.Background(), demo.TenantID, batch)
	require.NoError(t, err)
	api := admin(t, ts.URL)

	logIn(t, ctx, ts.URL, demo.Employees[0])
	waitJS(t, ctx, "open work", `document.querySelector('#list-title')?.textContent === 'Open work' && document.querySelectorAll('.row').length === 50`)
	require.True(t, eval[bool](t, ctx, `(() => { const r = [...document.querySelectorAll('.row')]; return r.every(x => !/st-(resolved|archived|spam)/.test(x.className)) })()`), "only open work")
	var list listJSON
	api.json(http.MethodGet, "/inbox/conversations?view=open&sort=queue&limit=50", nil, http.StatusOK, &list)
	shown := eval[[]string](t, ctx, `[...document.querySelectorAll('.row')].map(r => r.dataset.id)`)
	ids := make([]string, len(list.Items))
	for i, c := range list.Items {
		ids[i] = c.ID
	}
	require.Equal(t, ids, shown, "the engine's queue order")
	require.True(t, eval[bool](t, ctx, `document.querySelector('.row').classList.contains('st-urgent')`), "urgent work first")
	require.Contains(t, eval[string](t, ctx, `document.querySelector('#list-count').textContent`), "conversations")
	screenshot(t, ctx, dir, "20-work-queue")

	// Resolving moves on to the next conversation of the queue.
	click(t, ctx, `.row[data-id="`+shown[0]+`"]`)
	waitJS(t, ctx, "first open", fmt.Sprintf(`location.hash === '#/inbox/c/%s' && !!document.querySelector('#resolve-btn') && !document.querySelector('#resolve-btn').disabled`, shown[0]))
	click(t, ctx, "#resolve-btn")
	waitJS(t, ctx, "next opened", fmt.Sprintf(`location.hash === '#/inbox/c/%s' && document.querySelector('.row.selected')?.dataset.id === %q`, shown[1], shown[1]))
	waitJS(t, ctx, "resolved one left the queue", fmt.Sprintf(`!document.querySelector('.row[data-id="%s"]')`, shown[0]))

	// Mark as unread.
	waitJS(t, ctx, "read", fmt.Sprintf(`!document.querySelector('.row[data-id="%s"]').classList.contains('unread')`, shown[1]))
	click(t, ctx, "#unread-btn")
	waitJS(t, ctx, "unread again", fmt.Sprintf(`document.querySelector('.row[data-id="%s"]')?.classList.contains('unread')`, shown[1]))

	// Snooze a few seconds ahead: it leaves open work and comes back.
	setSelect(t, ctx, "#snooze-select", "custom")
	waitJS(t, ctx, "custom time", `!document.querySelector('#snooze-custom-box').hidden`)
	eval[bool](t, ctx, `(() => { const d = new Date(Date.now() + 65e3); d.setSeconds(0, 0); const p = n => String(n).padStart(2, '0');
		document.querySelector('#snooze-custom').value = d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes()); return true })()`)
	click(t, ctx, "#snooze-apply")
	waitJS(t, ctx, "snoozed away", fmt.Sprintf(`!document.querySelector('.row[data-id="%s"]') && [...document.querySelectorAll('.toast')].some(x => x.textContent.startsWith('Snoozed until'))`, shown[1]))
	// The minute picked in the page is up to a minute away; the same
	// conversation snoozed through the API for three seconds shows the
	// engine bringing it back, live, into the open work list.
	api.json(http.MethodPost, "/inbox/conversations/"+shown[1]+"/snooze", map[string]any{"until": time.Now().Add(3 * time.Second)}, http.StatusOK, nil)
	waitJS(t, ctx, "back in open work", fmt.Sprintf(`!!document.querySelector('.row[data-id="%s"]')`, shown[1]))

	// Select everything shown and act on all of it at once.
	click(t, ctx, "#select-all")
	waitJS(t, ctx, "50 selected", `document.querySelector('#bulk-count')?.textContent === '50 selected'`)
	picked := eval[[]string](t, ctx, `[...document.querySelectorAll('.row.checked')].map(r => r.dataset.id)`)
	require.Len(t, picked, 50)
	screenshot(t, ctx, dir, "21-bulk")
	start := time.Now()
	setSelect(t, ctx, "#bulk-assign", "tom")
	waitJS(t, ctx, "assigned", `[...document.querySelectorAll('.toast')].some(x => x.textContent === '50 conversations assigned to Tom Walker')`)
	t.Logf("bulk assign of 50 shown after %v", time.Since(start))
	conv := func(id string) convJSON {
		var d struct {
			Conversation convJSON `json:"conversation"`
		}
		api.json(http.MethodGet, "/inbox/conversations/"+id, nil, http.StatusOK, &d)
		return d.Conversation
	}
	for _, id := range picked {
		require.Equal(t, "tom", conv(id).Assignee)
	}
	waitJS(t, ctx, "list refreshed after the assignment", `document.querySelector('#bulk-bar').hidden`)
	click(t, ctx, "#select-all")
	waitJS(t, ctx, "50 selected again", `document.querySelector('#bulk-count')?.textContent === '50 selected'`)
	partenariats := folderID(t, a, "Partenariats")
	setSelect(t, ctx, "#bulk-move", partenariats)
	waitJS(t, ctx, "moved", `[...document.querySelectorAll('.toast')].some(x => x.textContent === '50 conversations moved to Partenariats')`)
	for _, id := range picked {
		require.Equal(t, partenariats, conv(id).FolderID)
	}
	waitJS(t, ctx, "list refreshed after the move", `document.querySelector('#bulk-bar').hidden`)
	click(t, ctx, "#select-all")
	waitJS(t, ctx, "selected for resolving", `document.querySelector('#bulk-count')?.textContent === '50 selected'`)
	picked = eval[[]string](t, ctx, `[...document.querySelectorAll('.row.checked')].map(r => r.dataset.id)`)
	click(t, ctx, "#bulk-resolve")
	waitJS(t, ctx, "resolved", `[...document.querySelectorAll('.toast')].some(x => x.textContent === '50 conversations resolved')`)
	for _, id := range picked {
		require.Equal(t, "resolved", conv(id).Status)
	}
	waitJS(t, ctx, "queue emptier", fmt.Sprintf(`![...document.querySelectorAll('.row')].some(r => %q.includes(r.dataset.id))`, strings.Join(picked, ",")))
}

// TestBrowserSearchAsAgentsType: search finds a phone number typed as
// displayed and word beginnings, shows where it matched with the words
// marked, and says how many conversations match.
func TestBrowserSearchAsAgentsType(t *testing.T) {
	ctx := browser(t)
	_, ts := newServer(t)
	logIn(t, ctx, ts.URL, demo.Employees[1])
	search := func(q string) {
		eval[bool](t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector('#search'); s.value = %q; s.dispatchEvent(new Event('input')); return true })()`, q))
	}
	search("+33 6 12 34 56 78")
	waitJS(t, ctx, "phone as displayed", `(() => { const r = [...document.querySelectorAll('.row-name')]; return r.length >= 1 && r.every(x => x.textContent.replace(/\s/g, '').includes('+33612345678')) })()`)
	search("Opaline")
	waitJS(t, ctx, "message snippet", `[...document.querySelectorAll('.row')].some(r => r.textContent.includes('Éléonore') && [...r.querySelectorAll('.row-snippet mark')].some(m => m.textContent.toLowerCase() === 'opaline'))`)
	require.Regexp(t, `^\d+ conversations?$`, eval[string](t, ctx, `document.querySelector('#list-count').textContent`))
	screenshot(t, ctx, artefacts(t), "22-search-snippet")
	search("opal*")
	waitJS(t, ctx, "prefix", `[...document.querySelectorAll('.row')].some(r => r.textContent.includes('Éléonore') && [...r.querySelectorAll('.row-snippet mark')].some(m => m.textContent.toLowerCase().startsWith('opal')))`)

	// A word only a colleague's internal note holds.
	claire := admin(t, ts.URL)
	conv := findConv(t, claire, "Léa Fontaine")
	claire.json(http.MethodPost, "/inbox/conversations/"+conv.ID+"/notes", map[string]any{"body": "Geste commercial : remboursement du Zéphyrin offert."}, http.StatusCreated, nil)
	search("zephyrin remboursement")
	waitJS(t, ctx, "found by its note", fmt.Sprintf(`(() => { const r = [...document.querySelectorAll('.row')]; return r.length === 1 && r[0].dataset.id === %q })()`, conv.ID))
	require.Equal(t, "1 conversation", eval[string](t, ctx, `document.querySelector('#list-count').textContent`))
	screenshot(t, ctx, artefacts(t), "23-search-note")
}

// TestBrowserComposerExtras: an admin adds a saved reply, an agent sets a
// signature, and an email reply goes out with the saved text, the
// signature and copies (Cc shown, Bcc kept out of the headers).
func TestBrowserComposerExtras(t *testing.T) {
	ctx := browser(t)
	_, ts := newServer(t)
	logIn(t, ctx, ts.URL, demo.Employees[0])

	do(t, ctx, "settings", chromedp.Navigate(ts.URL+"/#/settings"))
	click(t, ctx, ".settings-nav [data-section=replies]")
	waitJS(t, ctx, "saved replies page", `!!document.querySelector('#saved-title')`)
	do(t, ctx, "saved reply", chromedp.SendKeys(chromedp.ID("saved-title"), "Délais de livraison"),
		chromedp.SendKeys(chromedp.ID("saved-text"), "Nos livraisons prennent 3 à 5 jours ouvrés."))
	click(t, ctx, "#saved-add")
	waitJS(t, ctx, "saved reply listed", `document.querySelector('#saved-list')?.textContent.includes('Délais de livraison')`)

	click(t, ctx, "#me-btn")
	click(t, ctx, "#signature-open")
	do(t, ctx, "signature", chromedp.SendKeys(chromedp.ID("signature-text"), "Claire Martin\nMaison Lumière"))
	click(t, ctx, "#signature-save")
	waitJS(t, ctx, "signature saved", `[...document.querySelectorAll('.toast')].some(x => x.textContent === 'Signature saved')`)

	do(t, ctx, "inbox", chromedp.Navigate(ts.URL+"/#/inbox"))
	openRow(t, ctx, "Oliver Bennett")
	waitJS(t, ctx, "email composer", `document.querySelector('#thread-subject')?.textContent.includes('Broken glass') && !document.querySelector('#copies-toggle').hidden && !document.querySelector('#signature-box').hidden && !document.querySelector('#saved-reply-select').hidden`)
	setSelect(t, ctx, "#saved-reply-select", "0")
	waitJS(t, ctx, "saved reply inserted", `document.querySelector('#composer-text').value === 'Nos livraisons prennent 3 à 5 jours ouvrés.'`)
	click(t, ctx, "#copies-toggle")
	do(t, ctx, "copies", chromedp.SendKeys(chromedp.ID("composer-cc"), "compta@client.example"), chromedp.SendKeys(chromedp.ID("composer-bcc"), "archive@maison-lumiere.example"))
	screenshot(t, ctx, artefacts(t), "23-composer-email")
	click(t, ctx, "#send-btn")
	waitJS(t, ctx, "sent with copies", `[...document.querySelectorAll('.msg.out')].some(m => m.textContent.includes('Nos livraisons prennent') && m.textContent.includes('Maison Lumière') && m.querySelector('.msg-copies')?.textContent === 'Cc: compta@client.example · Bcc: archive@maison-lumiere.example')`)

	api := admin(t, ts.URL)
	var d struct {
		Messages []struct {
			Text string `json:"text"`
			Cc   []struct {
				Email string `json:"email"`
			} `json:"cc"`
			Bcc []struct {
				Email string `json:"email"`
			} `json:"bcc"`
		} `json:"messages"`
	}
	api.json(http.MethodGet, "/inbox/conversations/"+findConv(t, api, "Oliver Bennett").ID, nil, http.StatusOK, &d)
	last := d.Messages[len(d.Messages)-1]
	require.Equal(t, "Nos livraisons prennent 3 à 5 jours ouvrés.\n\nClaire Martin\nMaison Lumière", last.Text)
	require.Equal(t, "compta@client.example", last.Cc[0].Email)
	require.Equal(t, "archive@maison-lumiere.example", last.Bcc[0].Email)

	// A wrong address is said plainly, and an SMS offers no copies.
	click(t, ctx, "#copies-toggle")
	do(t, ctx, "bad copy", chromedp.SendKeys(chromedp.ID("composer-cc"), "compta-at-client"), chromedp.SendKeys(chromedp.ID("composer-text"), "Encore un mot"))
	click(t, ctx, "#send-btn")
	waitJS(t, ctx, "plain address error", `[...document.querySelectorAll('.toast.error')].some(x => x.textContent === 'A copy address is not an email address.')`)
	var l listJSON
	api.json(http.MethodGet, "/inbox/conversations?source=sms&limit=1", nil, http.StatusOK, &l)
	do(t, ctx, "open SMS", chromedp.Navigate(ts.URL+"/#/inbox/c/"+l.Items[0].ID))
	waitJS(t, ctx, "no copies on SMS", `document.querySelector('#channel-info')?.textContent.includes('files cannot be sent') && document.querySelector('#copies-toggle').hidden`)
}

// TestBrowserStatsByPeriodAgentAndIntent: statistics group by day, week or
// month, show each agent's figures by name and the intents, and download
// as CSV.
func TestBrowserStatsByPeriodAgentAndIntent(t *testing.T) {
	ctx := browser(t)
	_, ts := newServerWithHistory(t, 40)
	logIn(t, ctx, ts.URL, demo.Employees[0])
	do(t, ctx, "stats", chromedp.Navigate(ts.URL+"/#/stats"))
	waitJS(t, ctx, "agent table", `!!document.querySelector('#agent-table') && [...document.querySelectorAll('#agent-table td')].some(td => /^(Claire Martin|Hugo Bernard|Inès Moreau|Tom Walker)$/.test(td.textContent))`)
	require.False(t, eval[bool](t, ctx, `[...document.querySelectorAll('#agent-table td:first-child')].some(td => /^[a-z]+$/.test(td.textContent))`), "names, not login ids")
	waitJS(t, ctx, "intents", `[...document.querySelectorAll('.hbar-label')].some(x => x.textContent === 'Appointment')`)
	click(t, ctx, `.segmented [data-group=week]`)
	waitJS(t, ctx, "weeks", `(() => { const r = [...document.querySelectorAll('#period-table tbody td:first-child')]; return r.length > 0 && r.every(td => /^\d{4}-W\d{2}$/.test(td.textContent)) })()`)
	click(t, ctx, `.segmented [data-group=month]`)
	waitJS(t, ctx, "months", `(() => { const r = [...document.querySelectorAll('#period-table tbody td:first-child')]; return r.length > 0 && r.every(td => /^\d{4}-\d{2}$/.test(td.textContent)) })()`)
	screenshot(t, ctx, artefacts(t), "24-stats-month")
	eval[bool](t, ctx, `(fetch(document.querySelector('#csv-agent').href).then(r => r.text()).then(t => { window.agentCSV = t }), true)`)
	waitJS(t, ctx, "CSV", `typeof window.agentCSV === 'string'`)
	csv := eval[string](t, ctx, `window.agentCSV`)
	require.True(t, strings.HasPrefix(csv, "agent_id,agent,conversations"), csv)
	require.Contains(t, csv, "Claire Martin")
}
