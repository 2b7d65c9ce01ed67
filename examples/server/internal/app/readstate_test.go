package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
)

// folderCounts is the unread part of GET /inbox/folders.
type folderCounts struct {
	Total int `json:"total_unread"`
	Team  int `json:"team_total_unread"`
}

// firstUnread is the newest conversation unread for c.
func firstUnread(t *testing.T, c *client) convJSON {
	t.Helper()
	var l listJSON
	c.json(http.MethodGet, "/inbox/conversations?unread=1&limit=1", nil, http.StatusOK, &l)
	require.NotEmpty(t, l.Items, "the demo has unread conversations")
	return l.Items[0]
}

// TestReadStatePerAgentAPI: a logged-in agent reading a conversation
// reads it for themselves; a colleague's list, Unread filter and counters
// still show it; an API token sees the team's state; "team" sets
// everyone's.
func TestReadStatePerAgentAPI(t *testing.T) {
	_, ts := newServer(t)
	claire, hugo := admin(t, ts.URL), agent(t, ts.URL)
	conv := firstUnread(t, claire)
	path := "/inbox/conversations/" + conv.ID
	counts := func(c *client) folderCounts {
		var f folderCounts
		c.json(http.MethodGet, "/inbox/folders", nil, http.StatusOK, &f)
		return f
	}
	unreadIn := func(c *client) (bool, int) {
		var l listJSON
		c.json(http.MethodGet, "/inbox/conversations?unread=1&limit=200", nil, http.StatusOK, &l)
		for _, x := range l.Items {
			if x.ID == conv.ID {
				return true, x.Unread
			}
		}
		return false, 0
	}
	before := counts(claire)
	require.Equal(t, before, counts(hugo), "nobody has read anything yet")
	require.Equal(t, before.Team, before.Total)

	var out convJSON
	claire.json(http.MethodPost, path+"/read", map[string]any{"read": true}, http.StatusOK, &out)
	require.Zero(t, out.Unread, "read for Claire")
	require.Equal(t, conv.Version, out.Version, "reading is not a change colleagues must see")

	listed, _ := unreadIn(claire)
	require.False(t, listed, "Claire's Unread filter leaves it out")
	listed, n := unreadIn(hugo)
	require.True(t, listed, "Hugo's Unread filter still has it")
	require.Positive(t, n)
	var d struct {
		Conversation convJSON `json:"conversation"`
	}
	hugo.json(http.MethodGet, path, nil, http.StatusOK, &d)
	require.Positive(t, d.Conversation.Unread, "unread for Hugo")
	claire.json(http.MethodGet, path, nil, http.StatusOK, &d)
	require.Zero(t, d.Conversation.Unread, "read for Claire")
	require.Equal(t, folderCounts{Total: before.Total - 1, Team: before.Team}, counts(claire))
	require.Equal(t, before, counts(hugo))

	// A program sees the team's state.
	var tok struct{ Token string }
	claire.json(http.MethodPost, "/inbox/tokens", map[string]string{"name": "CRM sync", "role": "agent"}, http.StatusCreated, &tok)
	bot := newClient(t, ts.URL)
	bot.bearer = tok.Token
	require.Equal(t, before, counts(bot))
	listed, _ = unreadIn(bot)
	require.True(t, listed)

	// Claire marks it unread again: back in her counters.
	claire.json(http.MethodPost, path+"/read", map[string]any{"read": false}, http.StatusOK, &out)
	require.Positive(t, out.Unread)
	require.Equal(t, before, counts(claire))

	// Bulk "mark read" is Hugo's own too.
	var bulk struct {
		Done int `json:"done"`
	}
	hugo.json(http.MethodPost, "/inbox/conversations/bulk", map[string]any{"action": "read", "conversation_ids": []string{conv.ID}}, http.StatusOK, &bulk)
	require.Equal(t, 1, bulk.Done)
	require.Equal(t, before.Total-1, counts(hugo).Total)
	require.Equal(t, before, counts(claire))

	// Read for the whole team: everyone's counters drop.
	bot.json(http.MethodPost, path+"/read", map[string]any{"read": true}, http.StatusOK, &out)
	want := folderCounts{Total: before.Total - 1, Team: before.Team - 1}
	require.Equal(t, want, counts(claire))
	require.Equal(t, want, counts(hugo))
	require.Equal(t, folderCounts{Total: want.Team, Team: want.Team}, counts(bot))
}

// readStateJS is what the page shows of a conversation's read state: its
// row, whether the row is bold with its unread dot, and the "All
// conversations" badge (unread conversations outside spam and archived).
func readStateJS(convID string) (row, bold, badge string) {
	row = fmt.Sprintf(`document.querySelector('.row[data-id="%s"]')`, convID)
	bold = row + `?.classList.contains('unread') && !!` + row + `.querySelector('.unread-dot')`
	badge = `Number(document.querySelector('.side-item[data-view="all"] .badge')?.textContent || 0)`
	return row, bold, badge
}

// readStateScene starts a server and a browser where Claire and Hugo
// (in a browser context of his own) are logged in, and returns their
// pages, the server's URL, where screenshots go and the newest unread
// conversation.
func readStateScene(t *testing.T) (claire, hugo context.Context, base, dir string, conv convJSON) {
	t.Helper()
	claire = browser(t)
	_, ts := newServer(t)
	dir = artefacts(t)
	conv = firstUnread(t, admin(t, ts.URL))
	logIn(t, claire, ts.URL, demo.Employees[0])
	hugo, cancel := chromedp.NewContext(claire, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	logIn(t, hugo, ts.URL, demo.Employees[1])
	return claire, hugo, ts.URL, dir, conv
}

// TestBrowserReadStatePerAgent: Claire opens an unread conversation; Hugo
// still sees it bold, with its badge and in his Unread filter; Claire
// marks it unread again and it is bold for her once more.
func TestBrowserReadStatePerAgent(t *testing.T) {
	claire, hugo, base, dir, conv := readStateScene(t)

	row, bold, badge := readStateJS(conv.ID)
	for _, ctx := range []context.Context{claire, hugo} {
		waitJS(t, ctx, "bold for both", bold)
		waitJS(t, ctx, "badge", badge+` > 0`)
	}
	total := eval[int](t, hugo, badge)
	require.Equal(t, total, eval[int](t, claire, badge))

	// Claire opens it: read for her.
	click(t, claire, fmt.Sprintf(`.row[data-id="%s"]`, conv.ID))
	waitJS(t, claire, "read for Claire", `!(`+bold+`)`)
	waitJS(t, claire, "Claire's badge", fmt.Sprintf(`%s === %d`, badge, total-1))
	screenshot(t, claire, dir, "30-read-by-claire")

	// Hugo reloads his inbox: still unread for him, badge unchanged.
	do(t, hugo, "Hugo reloads", chromedp.Reload())
	waitJS(t, hugo, "conversations listed", `document.querySelectorAll('.row').length > 0`)
	waitJS(t, hugo, "still bold for Hugo", bold)
	waitJS(t, hugo, "Hugo's badge", fmt.Sprintf(`%s === %d`, badge, total))
	click(t, hugo, "#filter-unread")
	waitJS(t, hugo, "in Hugo's Unread filter", `document.querySelector('#filter-unread').checked && !!`+row)
	screenshot(t, hugo, dir, "31-still-unread-for-hugo")

	// Claire marks it unread again.
	click(t, claire, "#unread-btn")
	waitJS(t, claire, "bold again for Claire", bold)
	waitJS(t, claire, "Claire's badge again", fmt.Sprintf(`%s === %d`, badge, total))
	screenshot(t, claire, dir, "32-marked-unread-by-claire")
	var d struct {
		Conversation convJSON `json:"conversation"`
	}
	admin(t, base).json(http.MethodGet, "/inbox/conversations/"+conv.ID, nil, http.StatusOK, &d)
	require.Positive(t, d.Conversation.Unread, "stored as unread for Claire")
}

// sseEvent is one event of a stream: its SSE name and JSON data.
type sseEvent struct {
	Name   string
	ConvID string `json:"conversation_id"`
	Detail string `json:"detail"`
}

// streamEvents opens the event stream as c and delivers its events.
func streamEvents(t *testing.T, c *client) <-chan sseEvent {
	t.Helper()
	res := streamResponse(t, c)
	out := make(chan sseEvent, 64)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = sseEvent{Name: strings.TrimPrefix(line, "event: ")}
			case strings.HasPrefix(line, "data: ") && ev.Name != "":
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev)
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	return out
}

// nextEvent returns the next event of a stream named one of names,
// skipping others, and fails after 5 seconds.
func nextEvent(t *testing.T, events <-chan sseEvent, names ...string) sseEvent {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			require.True(t, ok, "the stream ended")
			if slices.Contains(names, ev.Name) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %v event in 5 s", names)
		}
	}
}

// TestReadStateEventReachesOnlyTheAgent: when Claire marks a conversation
// read or unread for herself, every stream of hers (two tabs of one
// session, another session) is told; Hugo's and an API token's streams
// are not, though they receive the team's events.
func TestReadStateEventReachesOnlyTheAgent(t *testing.T) {
	_, ts := newServer(t)
	claire, laptop, hugo := admin(t, ts.URL), admin(t, ts.URL), agent(t, ts.URL)
	var tok struct{ Token string }
	claire.json(http.MethodPost, "/inbox/tokens", map[string]string{"name": "CRM sync", "role": "agent"}, http.StatusCreated, &tok)
	bot := newClient(t, ts.URL)
	bot.bearer = tok.Token
	conv := firstUnread(t, claire)
	mine := []<-chan sseEvent{streamEvents(t, claire), streamEvents(t, claire), streamEvents(t, laptop)}
	others := []<-chan sseEvent{streamEvents(t, hugo), streamEvents(t, bot)}

	path := "/inbox/conversations/" + conv.ID + "/read"
	claire.json(http.MethodPost, path, map[string]any{"read": true}, http.StatusOK, nil)
	claire.json(http.MethodPost, path, map[string]any{"read": false}, http.StatusOK, nil)
	for _, events := range mine {
		for _, want := range []string{"read:", "unread:"} {
			ev := nextEvent(t, events, "reader.state")
			require.Equal(t, conv.ID, ev.ConvID)
			require.Equal(t, want+demo.Employees[0].ID, ev.Detail)
		}
	}
	// The team's read state is everyone's event; by then the agent's own
	// would have arrived.
	bot.json(http.MethodPost, path, map[string]any{"read": true}, http.StatusOK, nil)
	for _, events := range others {
		ev := nextEvent(t, events, "reader.state", "conversation.updated")
		require.Equal(t, "conversation.updated", ev.Name, "another agent's read state is not sent")
	}
}

// TestBrowserReadStateFollowsInOtherTabs: Claire has the inbox open in two
// tabs; opening an unread conversation in one makes it read in the other
// (row and badge) without a reload, and so does marking it unread again;
// Hugo's screen, open all along, keeps his own state.
func TestBrowserReadStateFollowsInOtherTabs(t *testing.T) {
	tab1, hugo, base, dir, conv := readStateScene(t)
	tab2, cancel := chromedp.NewContext(tab1) // a second tab of the same browser: the same session
	t.Cleanup(cancel)
	do(t, tab2, "open the inbox in a second tab", chromedp.Navigate(base))
	waitJS(t, tab2, "conversations listed", `document.querySelectorAll('.row').length > 0`)

	row, bold, badge := readStateJS(conv.ID)
	for _, ctx := range []context.Context{tab1, tab2, hugo} {
		waitJS(t, ctx, "bold everywhere", bold)
		waitJS(t, ctx, "badge", badge+` > 0`)
	}
	total := eval[int](t, tab2, badge)

	click(t, tab1, fmt.Sprintf(`.row[data-id="%s"]`, conv.ID))
	waitJS(t, tab1, "read in the first tab", `!(`+bold+`)`)
	waitJS(t, tab2, "read in the second tab, without a reload", `!!`+row+` && !(`+bold+`)`)
	waitJS(t, tab2, "the second tab's badge", fmt.Sprintf(`%s === %d`, badge, total-1))
	screenshot(t, tab2, dir, "33-read-in-another-tab")
	require.True(t, eval[bool](t, hugo, bold), "still bold for Hugo")
	require.Equal(t, total, eval[int](t, hugo, badge), "Hugo's badge is his own")

	click(t, tab1, "#unread-btn")
	waitJS(t, tab2, "bold again in the second tab", bold)
	waitJS(t, tab2, "the second tab's badge again", fmt.Sprintf(`%s === %d`, badge, total))
	screenshot(t, tab2, dir, "34-unread-again-in-another-tab")
	require.True(t, eval[bool](t, hugo, bold))
	require.Equal(t, total, eval[int](t, hugo, badge))
}
