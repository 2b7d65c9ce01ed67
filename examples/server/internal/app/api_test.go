package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

type convJSON struct {
	ID           string   `json:"id"`
	Version      int64    `json:"version"`
	Status       string   `json:"status"`
	FolderID     string   `json:"folder_id"`
	Assignee     string   `json:"assignee"`
	Tags         []string `json:"tags"`
	Unread       int      `json:"unread"`
	Subject      string   `json:"subject"`
	Source       string   `json:"source"`
	ContactID    string   `json:"contact_id"`
	PendingDraft bool     `json:"pending_draft"`
	Contact      struct {
		Name string `json:"name"`
	} `json:"contact"`
}

type listJSON struct {
	Items      []convJSON `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

// searchJSON is a search's answer: ids, snippets and the total.
type searchJSON struct {
	Items []struct {
		ID      string `json:"id"`
		Snippet *struct {
			In         string `json:"in"`
			NoteID     string `json:"note_id"`
			Text       string `json:"text"`
			Highlights []struct {
				Start int `json:"start"`
				End   int `json:"end"`
			} `json:"highlights"`
		} `json:"snippet"`
	} `json:"items"`
	Total int `json:"total"`
}

func admin(t *testing.T, base string) *client {
	return newClient(t, base).login(demo.Employees[0].Email, demo.Password)
}

func agent(t *testing.T, base string) *client {
	return newClient(t, base).login(demo.Employees[1].Email, demo.Password)
}

// findConv returns the demo conversation whose contact has name.
func findConv(t *testing.T, c *client, name string) convJSON {
	t.Helper()
	var l listJSON
	c.json(http.MethodGet, "/inbox/conversations?limit=200", nil, http.StatusOK, &l)
	for _, x := range l.Items {
		if x.Contact.Name == name {
			return x
		}
	}
	t.Fatalf("no conversation with %s", name)
	return convJSON{}
}

func folderID(t *testing.T, a *app.App, name string) string {
	t.Helper()
	var id string
	require.NoError(t, a.Store.View(context.Background(), demo.TenantID, func(tx driver.Tx) error {
		fs, err := tx.ListFolders()
		for _, f := range fs {
			if f.Name == name {
				id = f.ID
			}
		}
		return err
	}))
	require.NotEmpty(t, id)
	return id
}

func TestAuth(t *testing.T) {
	_, ts := newServer(t)

	t.Run("unauthenticated requests get 401 problems", func(t *testing.T) {
		anon := newClient(t, ts.URL)
		for _, path := range []string{"/inbox/conversations", "/inbox/folders", "/inbox/events", "/inbox/stats"} {
			p := anon.problem(http.MethodGet, path, nil, http.StatusUnauthorized)
			require.Equal(t, "/inbox/problems/unauthorized", p.Type)
		}
	})

	t.Run("wrong password is refused without saying which part was wrong", func(t *testing.T) {
		p := newClient(t, ts.URL).problem(http.MethodPost, "/inbox/session", map[string]string{"email": "claire@maison-lumiere.example", "password": "nope-nope"}, http.StatusUnauthorized)
		require.Contains(t, p.Detail, "email or password is wrong")
		p = newClient(t, ts.URL).problem(http.MethodPost, "/inbox/session", map[string]string{"email": "nobody@example.com", "password": "nope-nope"}, http.StatusUnauthorized)
		require.Contains(t, p.Detail, "email or password is wrong")
	})

	t.Run("missing fields are named", func(t *testing.T) {
		p := newClient(t, ts.URL).problem(http.MethodPost, "/inbox/session", map[string]string{"email": "claire@maison-lumiere.example"}, http.StatusBadRequest)
		require.Equal(t, []string{"password"}, p.fields())
	})

	t.Run("session cookie is HttpOnly and SameSite=Lax", func(t *testing.T) {
		c := newClient(t, ts.URL)
		res, _ := c.do(http.MethodPost, "/inbox/session", map[string]string{"email": "claire@maison-lumiere.example", "password": demo.Password})
		require.Equal(t, http.StatusOK, res.StatusCode)
		ck := res.Cookies()
		require.Len(t, ck, 1)
		require.True(t, ck[0].HttpOnly)
		require.Equal(t, http.SameSiteLaxMode, ck[0].SameSite)
		require.Equal(t, auth.CookieName, ck[0].Name)
	})

	t.Run("cookie sessions need the CSRF token on unsafe requests", func(t *testing.T) {
		c := admin(t, ts.URL)
		conv := findConv(t, c, "Léa Fontaine")
		token := c.csrf
		c.csrf = ""
		p := c.problem(http.MethodPost, "/inbox/conversations/"+conv.ID+"/status", map[string]any{"status": "open"}, http.StatusForbidden)
		require.Contains(t, p.Detail, "CSRF")
		c.csrf = "forged"
		c.problem(http.MethodPost, "/inbox/conversations/"+conv.ID+"/status", map[string]any{"status": "open"}, http.StatusForbidden)
		c.csrf = token
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/inbox/conversations/"+conv.ID+"/status", strings.NewReader(`{"status":"open"}`))
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Content-Type", "application/json")
		res, _ := c.send(req)
		require.Equal(t, http.StatusForbidden, res.StatusCode, "a foreign Origin is refused even with the token")
		c.json(http.MethodPost, "/inbox/conversations/"+conv.ID+"/status", map[string]any{"status": "open"}, http.StatusOK, nil)
	})

	t.Run("logout ends the session", func(t *testing.T) {
		c := admin(t, ts.URL)
		c.json(http.MethodDelete, "/inbox/session", nil, http.StatusNoContent, nil)
		c.problem(http.MethodGet, "/inbox/session", nil, http.StatusUnauthorized)
	})

	t.Run("API tokens: created once by admins, used as Bearer, revocable", func(t *testing.T) {
		c := admin(t, ts.URL)
		var tok struct {
			ID, Token, Prefix string
		}
		c.json(http.MethodPost, "/inbox/tokens", map[string]string{"name": "CRM sync", "role": "agent"}, http.StatusCreated, &tok)
		require.True(t, strings.HasPrefix(tok.Token, auth.TokenPrefix))
		_, raw := c.do(http.MethodGet, "/inbox/tokens", nil)
		require.NotContains(t, string(raw), tok.Token, "the token is shown only once")
		require.NotContains(t, string(raw), "hash")

		bot := newClient(t, ts.URL)
		bot.bearer = tok.Token
		var l listJSON
		bot.json(http.MethodGet, "/inbox/conversations", nil, http.StatusOK, &l)
		require.NotEmpty(t, l.Items)
		bot.json(http.MethodPost, "/inbox/conversations/"+l.Items[0].ID+"/notes", map[string]string{"body": "synced to CRM"}, http.StatusCreated, nil)
		bot.problem(http.MethodPost, "/inbox/folders", map[string]string{"name": "X"}, http.StatusForbidden)

		c.json(http.MethodDelete, "/inbox/tokens/"+tok.ID, nil, http.StatusNoContent, nil)
		bot.problem(http.MethodGet, "/inbox/conversations", nil, http.StatusUnauthorized)
		bot.bearer = "ibk_not-a-token"
		bot.problem(http.MethodGet, "/inbox/conversations", nil, http.StatusUnauthorized)
	})

	t.Run("agents cannot change the tenant's setup", func(t *testing.T) {
		c := agent(t, ts.URL)
		c.problem(http.MethodPost, "/inbox/folders", map[string]string{"name": "Agents only"}, http.StatusForbidden)
		c.problem(http.MethodPatch, "/inbox/settings", map[string]string{"reply_prompt": "x"}, http.StatusForbidden)
		c.problem(http.MethodPost, "/inbox/integrations", map[string]string{"kind": "sms", "name": "x"}, http.StatusForbidden)
		c.problem(http.MethodGet, "/inbox/tokens", nil, http.StatusForbidden)
		c.problem(http.MethodGet, "/inbox/audit", nil, http.StatusForbidden)
	})

	t.Run("failed logins are rate limited", func(t *testing.T) {
		// The failures of the subtests above count too: a successful login
		// clears its account's failures, not its address's.
		c := newClient(t, ts.URL)
		refused := 0
		for range 5 {
			res, raw := c.do(http.MethodPost, "/inbox/session", map[string]string{"email": "tom@maison-lumiere.example", "password": "guess-guess"})
			require.Contains(t, []int{http.StatusUnauthorized, http.StatusTooManyRequests}, res.StatusCode, string(raw))
			if res.StatusCode == http.StatusTooManyRequests {
				refused++
			}
		}
		require.NotZero(t, refused, "5 failures from one address within the window are the limit")
		res, raw := c.do(http.MethodPost, "/inbox/session", map[string]string{"email": "tom@maison-lumiere.example", "password": demo.Password})
		require.Equal(t, http.StatusTooManyRequests, res.StatusCode, string(raw))
		require.NotEmpty(t, res.Header.Get("Retry-After"))
	})
}

func TestTenantIsolation(t *testing.T) {
	a, ts := newServer(t)
	ctx := context.Background()
	const other inbox.TenantID = "autre-boutique"
	require.NoError(t, a.Store.CreateTenant(ctx, &inbox.Tenant{ID: other, Name: "Autre boutique"}))
	_, err := a.Accounts.CreateAccount(ctx, auth.NewAccount{Tenant: other, ID: "zoe", Email: "zoe@autre.example", Name: "Zoé", Role: auth.RoleAdmin, Password: "autre-password"})
	require.NoError(t, err)
	res, err := a.Engine.Ingest(ctx, other, []inbox.Inbound{{Source: inbox.SourceSMS, ProviderID: "x1", From: inbox.Party{Phone: "+33600000001"}, Text: "secret de l'autre boutique", SentAt: time.Now()}})
	require.NoError(t, err)
	otherConv := res.Items[0].ConversationID

	c := admin(t, ts.URL)
	var l listJSON
	c.json(http.MethodGet, "/inbox/conversations?limit=200&q=secret", nil, http.StatusOK, &l)
	require.Empty(t, l.Items, "search never crosses tenants")

	for _, r := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/inbox/conversations/" + otherConv, nil},
		{http.MethodPost, "/inbox/conversations/" + otherConv + "/status", map[string]any{"status": "open"}},
		{http.MethodPost, "/inbox/conversations/" + otherConv + "/reply", map[string]any{"text": "x"}},
		{http.MethodPost, "/inbox/conversations/" + otherConv + "/notes", map[string]any{"body": "x"}},
		{http.MethodPost, "/inbox/conversations/" + otherConv + "/move", map[string]any{"folder_id": ""}},
		{http.MethodPost, "/inbox/conversations/" + otherConv + "/tasks", map[string]any{"title": "x"}},
		{http.MethodGet, "/inbox/conversations/" + otherConv + "/audit", nil},
	} {
		p := c.problem(r.method, r.path, r.body, http.StatusNotFound)
		require.NotContains(t, p.Detail, "autre", r.path)
	}

	zoe := newClient(t, ts.URL).login("zoe@autre.example", "autre-password")
	var zl listJSON
	zoe.json(http.MethodGet, "/inbox/conversations", nil, http.StatusOK, &zl)
	require.Len(t, zl.Items, 1)
	mine := findConv(t, c, "Léa Fontaine")
	zoe.problem(http.MethodGet, "/inbox/conversations/"+mine.ID, nil, http.StatusNotFound)
	zoe.problem(http.MethodPost, "/inbox/conversations/"+mine.ID+"/assign", map[string]string{"assignee": "zoe"}, http.StatusNotFound)
	var emps struct {
		Items []struct{ ID string } `json:"items"`
	}
	zoe.json(http.MethodGet, "/inbox/employees", nil, http.StatusOK, &emps)
	require.Len(t, emps.Items, 1)

	// Employees of another tenant cannot be assigned.
	p := c.problem(http.MethodPost, "/inbox/conversations/"+mine.ID+"/assign", map[string]any{"assignee": "zoe"}, http.StatusBadRequest)
	require.Equal(t, []string{"assignee"}, p.fields())
}

func TestConversationActions(t *testing.T) {
	a, ts := newServer(t)
	c := admin(t, ts.URL)
	conv := findConv(t, c, "Léa Fontaine")
	path := "/inbox/conversations/" + conv.ID

	var d struct {
		Conversation convJSON `json:"conversation"`
		Messages     []struct {
			ID        string `json:"id"`
			Direction string `json:"direction"`
			Text      string `json:"text"`
		} `json:"messages"`
		Notes []struct {
			Body     string   `json:"body"`
			Mentions []string `json:"mentions"`
		} `json:"notes"`
		Tasks []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
			Done  bool   `json:"done"`
		} `json:"tasks"`
		FollowUps []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"followups"`
	}
	reload := func() { c.json(http.MethodGet, path, nil, http.StatusOK, &d) }
	reload()
	v := d.Conversation.Version

	var out convJSON
	// Read for the whole team: a change every agent sees, so v is stale.
	c.json(http.MethodPost, path+"/read", map[string]any{"read": true, "version": v, "team": true}, http.StatusOK, &out)
	require.Zero(t, out.Unread)

	t.Run("a stale version is a 409 conflict and changes nothing", func(t *testing.T) {
		p := c.problem(http.MethodPost, path+"/status", map[string]any{"status": "urgent", "version": v}, http.StatusConflict)
		require.Equal(t, "/inbox/problems/conflict", p.Type)
		reload()
		require.Equal(t, "new", d.Conversation.Status)
	})

	c.json(http.MethodPost, path+"/assign", map[string]any{"assignee": "ines", "version": out.Version}, http.StatusOK, &out)
	require.Equal(t, "ines", out.Assignee)
	commandes := folderID(t, a, "Commandes")
	c.json(http.MethodPost, path+"/move", map[string]any{"folder_id": commandes, "version": out.Version}, http.StatusOK, &out)
	require.Equal(t, commandes, out.FolderID)
	c.json(http.MethodPut, path+"/tags", map[string]any{"tags": []string{"vert sauge", "stock"}, "version": out.Version}, http.StatusOK, &out)
	require.Equal(t, []string{"vert sauge", "stock"}, out.Tags)
	c.json(http.MethodPost, path+"/link", map[string]any{"project_id": "P-12", "external_refs": map[string]string{"deal": "D-42"}, "version": out.Version}, http.StatusOK, &out)
	c.json(http.MethodPost, path+"/reply", map[string]any{"text": "Oui, elle est en stock !", "version": out.Version}, http.StatusCreated, nil)
	c.json(http.MethodPost, path+"/notes", map[string]any{"body": "Réserver une pièce pour elle @ines"}, http.StatusCreated, nil)
	c.json(http.MethodPost, path+"/tasks", map[string]any{"title": "Mettre de côté la lampe", "assignee": "hugo"}, http.StatusCreated, nil)
	c.json(http.MethodPost, path+"/followups", map[string]any{"due_at": time.Now().Add(48 * time.Hour).Format(time.RFC3339), "note": "Relancer", "if_no_reply": true}, http.StatusCreated, nil)
	reload()
	require.Equal(t, "open", d.Conversation.Status, "a reply opens the conversation")
	require.Equal(t, "out", d.Messages[len(d.Messages)-1].Direction)
	require.Equal(t, []string{"ines"}, d.Notes[0].Mentions)
	require.Len(t, d.Tasks, 1)
	require.Len(t, d.FollowUps, 1)

	c.json(http.MethodPost, "/inbox/tasks/"+d.Tasks[0].ID+"/complete", map[string]any{"done": true}, http.StatusOK, nil)
	c.json(http.MethodPost, "/inbox/followups/"+d.FollowUps[0].ID+"/close", map[string]any{"status": "done"}, http.StatusOK, nil)
	reload()
	require.True(t, d.Tasks[0].Done)
	require.Equal(t, "done", d.FollowUps[0].Status)

	c.json(http.MethodPost, path+"/status", map[string]any{"status": "resolved", "version": d.Conversation.Version}, http.StatusOK, &out)
	require.Equal(t, "resolved", out.Status)

	// The mentioned agent is notified.
	ines := newClient(t, ts.URL).login("ines@maison-lumiere.example", demo.Password)
	var notes struct {
		Items []struct{ ID, Kind, Text string } `json:"items"`
	}
	ines.json(http.MethodGet, "/inbox/notifications?unread=1", nil, http.StatusOK, &notes)
	kinds := map[string]bool{}
	for _, n := range notes.Items {
		kinds[n.Kind] = true
	}
	require.True(t, kinds["mention"] && kinds["assigned"], "%v", notes.Items)
	ines.json(http.MethodPost, "/inbox/notifications/"+notes.Items[0].ID+"/read", nil, http.StatusNoContent, nil)
	c.problem(http.MethodPost, "/inbox/notifications/"+notes.Items[0].ID+"/read", nil, http.StatusNotFound)

	// Every action is in the audit log.
	var audit struct {
		Items []struct{ Action, Actor string } `json:"items"`
	}
	c.json(http.MethodGet, path+"/audit", nil, http.StatusOK, &audit)
	actions := map[string]bool{}
	for _, e := range audit.Items {
		actions[e.Action] = true
	}
	for _, want := range []string{"conversation.read", "conversation.assign", "conversation.move", "conversation.tags", "conversation.link", "conversation.reply", "conversation.note", "task.create", "task.complete", "followup.schedule", "followup.close", "conversation.status"} {
		require.True(t, actions[want], "audit has %s", want)
	}
}

func TestMergeSplitAndDrafts(t *testing.T) {
	a, ts := newServer(t)
	c := admin(t, ts.URL)
	ctx := context.Background()
	integ := a.Demo.Integrations[inbox.SourceSMS]
	res, err := a.Engine.Ingest(ctx, demo.TenantID, []inbox.Inbound{
		{IntegrationID: integ, Source: inbox.SourceSMS, ProviderID: "m1", From: inbox.Party{Phone: "+33611111111"}, Text: "Premier message", SentAt: time.Now().Add(-time.Hour)},
		{IntegrationID: integ, Source: inbox.SourceSMS, ProviderID: "m2", From: inbox.Party{Phone: "+33622222222"}, Text: "Deuxième numéro, même client", SentAt: time.Now().Add(-time.Minute)},
	})
	require.NoError(t, err)
	target, source := res.Items[0].ConversationID, res.Items[1].ConversationID
	var out convJSON
	c.json(http.MethodPost, "/inbox/conversations/"+target+"/merge", map[string]any{"source_id": source}, http.StatusOK, &out)
	var d struct {
		Messages []struct{ ID string } `json:"messages"`
	}
	c.json(http.MethodGet, "/inbox/conversations/"+target, nil, http.StatusOK, &d)
	require.Len(t, d.Messages, 2)
	c.json(http.MethodPost, "/inbox/messages/"+d.Messages[1].ID+"/split", map[string]any{}, http.StatusCreated, &out)
	require.NotEqual(t, target, out.ID)
	p := c.problem(http.MethodPost, "/inbox/conversations/"+target+"/merge", map[string]any{}, http.StatusBadRequest)
	require.Equal(t, []string{"source_id"}, p.fields())

	// The demo's pending draft: approve sends it, a second approval is refused.
	var drafts struct {
		Items []struct{ ID, ConversationID string } `json:"items"`
	}
	c.json(http.MethodGet, "/inbox/drafts?status=pending", nil, http.StatusOK, &drafts)
	require.Len(t, drafts.Items, 1)
	var msg struct{ Text, Direction string }
	c.json(http.MethodPost, "/inbox/drafts/"+drafts.Items[0].ID+"/approve", map[string]any{"text": "Bonjour, voici votre facture."}, http.StatusCreated, &msg)
	require.Equal(t, "out", msg.Direction)
	require.Equal(t, "Bonjour, voici votre facture.", msg.Text)
	p = c.problem(http.MethodPost, "/inbox/drafts/"+drafts.Items[0].ID+"/approve", map[string]any{}, http.StatusBadRequest)
	require.Equal(t, []string{"draft"}, p.fields())
	c.problem(http.MethodPost, "/inbox/drafts/does-not-exist/reject", map[string]any{"reason": "x"}, http.StatusNotFound)
}

func TestBadInput(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)
	conv := findConv(t, c, "Léa Fontaine")
	path := "/inbox/conversations/" + conv.ID
	for _, tc := range []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"unknown status", http.MethodPost, path + "/status", map[string]any{"status": "done"}, "status"},
		{"wrong type", http.MethodPost, path + "/status", map[string]any{"status": 3}, "status"},
		{"unknown field", http.MethodPost, path + "/status", map[string]any{"status": "open", "colour": "red"}, "colour"},
		{"empty reply", http.MethodPost, path + "/reply", map[string]any{"text": "  "}, "text"},
		{"empty note", http.MethodPost, path + "/notes", map[string]any{"body": ""}, "body"},
		{"unknown folder", http.MethodPost, path + "/move", map[string]any{"folder_id": "nope"}, "folder_id"},
		{"unknown assignee", http.MethodPost, path + "/assign", map[string]any{"assignee": "ghost"}, "assignee"},
		{"empty task", http.MethodPost, path + "/tasks", map[string]any{"title": ""}, "title"},
		{"follow-up in the past", http.MethodPost, path + "/followups", map[string]any{"due_at": "2020-01-01T00:00:00Z"}, "due_at"},
		{"follow-up without date", http.MethodPost, path + "/followups", map[string]any{"note": "x"}, "due_at"},
		{"bad sort", http.MethodGet, "/inbox/conversations?sort=random", nil, "sort"},
		{"bad status filter", http.MethodGet, "/inbox/conversations?status=closed", nil, "status"},
		{"bad limit", http.MethodGet, "/inbox/conversations?limit=100000", nil, "limit"},
		{"bad rules", http.MethodPost, "/inbox/rules/preview", map[string]any{"rules": map[string]any{"any": []any{map[string]any{"field": "colour", "op": "contains", "value": "x"}}}}, ""},
		{"folder without name", http.MethodPost, "/inbox/folders", map[string]any{"description": "x"}, "name"},
		{"integration kind", http.MethodPost, "/inbox/integrations", map[string]any{"kind": "fax", "name": "x"}, "kind"},
		{"secret in config", http.MethodPost, "/inbox/integrations", map[string]any{"kind": "email", "name": "x", "config": map[string]string{"password": "hunter2"}}, "config.password"},
		{"bad time zone", http.MethodPatch, "/inbox/settings", map[string]any{"time_zone": "Mars/Olympus"}, "time_zone"},
		{"stats range", http.MethodGet, "/inbox/stats?from=2026-02-01&to=2026-01-01", nil, "from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := c.problem(tc.method, tc.path, tc.body, http.StatusBadRequest)
			require.Equal(t, "/inbox/problems/invalid", p.Type)
			if tc.field != "" {
				require.Equal(t, []string{tc.field}, p.fields(), p.Detail)
			} else {
				require.NotEmpty(t, p.Errors)
				require.True(t, strings.HasPrefix(p.Errors[0].Field, "rules"), p.Errors[0].Field)
			}
		})
	}
	t.Run("malformed JSON", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+path+"/status", strings.NewReader(`{"status":`))
		req.Header.Set("Content-Type", "application/json")
		res, raw := c.send(req)
		require.Equal(t, http.StatusBadRequest, res.StatusCode)
		require.Contains(t, string(raw), `"field":"body"`)
	})
	t.Run("unknown conversation", func(t *testing.T) {
		c.problem(http.MethodGet, "/inbox/conversations/nope", nil, http.StatusNotFound)
		c.problem(http.MethodGet, "/inbox/no-such-route", nil, http.StatusNotFound)
	})
}

func TestUploads(t *testing.T) {
	a, ts := newServer(t)
	c := admin(t, ts.URL)
	conv := findConv(t, c, "Oliver Bennett")
	path := "/inbox/conversations/" + conv.ID + "/reply"
	var d struct {
		Conversation convJSON `json:"conversation"`
	}
	c.json(http.MethodGet, "/inbox/conversations/"+conv.ID, nil, http.StatusOK, &d)

	t.Run("an executable is refused and nothing is sent", func(t *testing.T) {
		elf := append([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1}, make([]byte, 200)...)
		res, raw := c.multipartReply(path, "Voici le bon de retour", d.Conversation.Version, map[string][]byte{"retour.pdf": elf}, "application/pdf")
		require.Equal(t, http.StatusBadRequest, res.StatusCode, string(raw))
		require.Contains(t, string(raw), `"field":"attachments[0]"`)
		var after struct {
			Messages []any `json:"messages"`
		}
		c.json(http.MethodGet, "/inbox/conversations/"+conv.ID, nil, http.StatusOK, &after)
		require.Len(t, after.Messages, 1)
	})

	t.Run("a valid file is stored and downloadable", func(t *testing.T) {
		pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		res, raw := c.multipartReply(path, "Voici le bon de retour", d.Conversation.Version, map[string][]byte{"bon de retour.pdf": pdf}, "application/pdf")
		require.Equal(t, http.StatusCreated, res.StatusCode, string(raw))
		var m struct {
			Attachments []struct{ URL, Filename string } `json:"attachments"`
		}
		c.json(http.MethodGet, "/inbox/conversations/"+conv.ID, nil, http.StatusOK, &struct {
			Messages *[]any `json:"messages"`
		}{})
		require.NoError(t, jsonUnmarshal(raw, &m))
		require.Len(t, m.Attachments, 1)
		dl, body := c.do(http.MethodGet, m.Attachments[0].URL, nil)
		require.Equal(t, http.StatusOK, dl.StatusCode)
		require.Equal(t, pdf, body)
		require.Contains(t, dl.Header.Get("Content-Disposition"), "attachment")
		require.Equal(t, "nosniff", dl.Header.Get("X-Content-Type-Options"))
		_ = a
	})
}

func TestIntegrationSecretsAreWriteOnly(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)
	var in struct {
		ID         string            `json:"id"`
		Version    int64             `json:"version"`
		SecretsSet []string          `json:"secrets_set"`
		Config     map[string]string `json:"config"`
	}
	c.json(http.MethodPost, "/inbox/integrations", map[string]any{"kind": "sms", "name": "SMS Lyon",
		"config": map[string]string{"from": "33757000001", "api_key": "abc123"}, "secrets": map[string]string{"api_secret": "s3cr3t-value", "signature_secret": "sig-value-42"}}, http.StatusCreated, &in)
	require.Equal(t, []string{"api_secret", "signature_secret"}, in.SecretsSet)
	for _, p := range []string{"/inbox/integrations", "/inbox/integrations/" + in.ID, "/inbox/audit?limit=1000"} {
		_, raw := c.do(http.MethodGet, p, nil)
		require.NotContains(t, string(raw), "s3cr3t-value", p)
		require.NotContains(t, string(raw), "sig-value-42", p)
	}
	c.json(http.MethodPatch, "/inbox/integrations/"+in.ID, map[string]any{"secrets": map[string]string{"api_secret": ""}, "version": in.Version}, http.StatusOK, &in)
	require.Equal(t, []string{"signature_secret"}, in.SecretsSet)
	c.problem(http.MethodPatch, "/inbox/integrations/"+in.ID, map[string]any{"name": "stale", "version": 1}, http.StatusConflict)
	c.json(http.MethodDelete, "/inbox/integrations/"+in.ID, nil, http.StatusNoContent, nil)
	c.problem(http.MethodGet, "/inbox/integrations/"+in.ID, nil, http.StatusNotFound)
}

func TestFoldersRulesAndSettings(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)
	rules := map[string]any{"all": []any{
		map[string]any{"field": "channel", "op": "equals", "value": "whatsapp"},
		map[string]any{"any": []any{map[string]any{"field": "body", "op": "contains", "value": "commande"}, map[string]any{"field": "body", "op": "contains", "value": "lampe"}}},
	}}
	var prev struct {
		Scanned, Matched int
		Items            []struct {
			Conversation convJSON `json:"conversation"`
			Explain      string   `json:"explain"`
		} `json:"items"`
	}
	c.json(http.MethodPost, "/inbox/rules/preview", map[string]any{"rules": rules}, http.StatusOK, &prev)
	require.Greater(t, prev.Scanned, 20)
	require.NotZero(t, prev.Matched)
	for _, m := range prev.Items {
		require.Equal(t, "whatsapp", m.Conversation.Source)
	}
	var f struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	c.json(http.MethodPost, "/inbox/folders", map[string]any{"name": "WhatsApp commandes", "rules": rules}, http.StatusCreated, &f)
	c.problem(http.MethodPost, "/inbox/folders", map[string]any{"name": "whatsapp COMMANDES"}, http.StatusBadRequest)
	p := c.problem(http.MethodPatch, "/inbox/folders/"+f.ID, map[string]any{"auto_reply": map[string]any{"mode": "telepathy"}}, http.StatusBadRequest)
	require.Equal(t, []string{"auto_reply.mode"}, p.fields())
	c.json(http.MethodPatch, "/inbox/folders/"+f.ID, map[string]any{"auto_reply": map[string]any{"mode": "approve"}, "version": f.Version}, http.StatusOK, &f)
	c.problem(http.MethodPatch, "/inbox/folders/"+f.ID, map[string]any{"name": "x", "version": 1}, http.StatusConflict)
	p = c.problem(http.MethodPatch, "/inbox/settings", map[string]any{"reply_prompt": ""}, http.StatusBadRequest)
	require.Equal(t, []string{"reply_prompt"}, p.fields(), "a folder with auto-reply needs the prompt")
	c.json(http.MethodDelete, "/inbox/folders/"+f.ID, nil, http.StatusNoContent, nil)
	var st struct {
		ReplyPrompt string `json:"reply_prompt"`
		TimeZone    string `json:"time_zone"`
	}
	c.json(http.MethodPatch, "/inbox/settings", map[string]any{"time_zone": "Europe/Brussels"}, http.StatusOK, &st)
	require.Equal(t, "Europe/Brussels", st.TimeZone)
	require.NotEmpty(t, st.ReplyPrompt)
}

func TestReadEndpoints(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)

	// Pagination walks every conversation exactly once.
	seen := map[string]bool{}
	cursor := ""
	for {
		var l listJSON
		c.json(http.MethodGet, "/inbox/conversations?limit=7&cursor="+cursor, nil, http.StatusOK, &l)
		for _, x := range l.Items {
			require.False(t, seen[x.ID])
			seen[x.ID] = true
		}
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
	}
	require.Len(t, seen, 24)

	var l listJSON
	c.json(http.MethodGet, "/inbox/conversations?source=whatsapp&status=new,urgent", nil, http.StatusOK, &l)
	for _, x := range l.Items {
		require.Equal(t, "whatsapp", x.Source)
		require.Contains(t, []string{"new", "urgent"}, x.Status)
	}
	c.json(http.MethodGet, "/inbox/conversations?q=Opaline", nil, http.StatusOK, &l)
	require.NotEmpty(t, l.Items)
	c.json(http.MethodGet, "/inbox/conversations?assignee=me&sort=priority", nil, http.StatusOK, &l)
	for _, x := range l.Items {
		require.Equal(t, "claire", x.Assignee)
	}

	var stats struct {
		Stats struct {
			Conversations int            `json:"conversations"`
			BySource      map[string]int `json:"by_source"`
		} `json:"stats"`
	}
	c.json(http.MethodGet, "/inbox/stats", nil, http.StatusOK, &stats)
	require.Equal(t, 24, stats.Stats.Conversations)
	require.Len(t, stats.Stats.BySource, 4)

	var contacts struct {
		Items []struct{ ID, Name string } `json:"items"`
	}
	c.json(http.MethodGet, "/inbox/contacts?q=rossi", nil, http.StatusOK, &contacts)
	require.Len(t, contacts.Items, 1)
	var panel struct {
		Contact       struct{ Name string } `json:"contact"`
		Conversations []convJSON            `json:"conversations"`
	}
	c.json(http.MethodGet, "/inbox/contacts/"+contacts.Items[0].ID, nil, http.StatusOK, &panel)
	require.Equal(t, "Sofia Rossi", panel.Contact.Name)
	require.Len(t, panel.Conversations, 1)
	c.json(http.MethodPatch, "/inbox/contacts/"+contacts.Items[0].ID, map[string]any{"external_id": "CRM-981"}, http.StatusOK, nil)

	for _, p := range []string{"/inbox/audit", "/inbox/quarantine", "/inbox/tasks?open=1", "/inbox/followups?status=pending", "/inbox/drafts", "/inbox/employees", "/inbox/settings", "/inbox/integrations", "/inbox/folders"} {
		c.json(http.MethodGet, p, nil, http.StatusOK, nil)
	}
	res, _ := c.do(http.MethodGet, "/inbox/knowledge", nil)
	require.Contains(t, []int{http.StatusOK, http.StatusNotImplemented}, res.StatusCode)
}

func TestEventsStream(t *testing.T) {
	a, ts := newServer(t)
	c := admin(t, ts.URL)
	req, err := http.NewRequest(http.MethodGet, ts.URL+"/inbox/events", nil)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req = req.WithContext(ctx)
	res, err := c.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))

	// Another tenant's event must not appear; ours must.
	require.NoError(t, a.Store.CreateTenant(context.Background(), &inbox.Tenant{ID: "other", Name: "Other"}))
	_, err = a.Engine.Ingest(context.Background(), "other", []inbox.Inbound{{Source: inbox.SourceSMS, ProviderID: "o1", From: inbox.Party{Phone: "+33600000009"}, Text: "other tenant", SentAt: time.Now()}})
	require.NoError(t, err)
	out, err := a.Engine.Ingest(context.Background(), demo.TenantID, []inbox.Inbound{{IntegrationID: a.Demo.Integrations[inbox.SourceSMS], Source: inbox.SourceSMS, ProviderID: "live-1", From: inbox.Party{Phone: "+33600000010"}, Text: "Bonjour !", SentAt: time.Now()}})
	require.NoError(t, err)
	buf := make([]byte, 0, 8192)
	chunk := make([]byte, 2048)
	for !strings.Contains(string(buf), out.Items[0].MessageID) {
		n, err := res.Body.Read(chunk)
		require.NoError(t, err)
		buf = append(buf, chunk[:n]...)
	}
	require.Contains(t, string(buf), "event: message.received")
	require.NotContains(t, string(buf), `"tenant_id":"other"`)
	_ = fmt.Sprint
}

func TestLoginFromAnotherOrigin(t *testing.T) {
	_, ts := newServer(t)
	c := newClient(t, ts.URL)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/inbox/session", strings.NewReader(`{"email":"claire@maison-lumiere.example","password":"lumiere-demo"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	res, _ := c.send(req)
	require.Equal(t, http.StatusForbidden, res.StatusCode, "login CSRF is refused")
	require.Empty(t, res.Cookies())
}

// TestBootstrapAdmin starts a server without demo data whose first admin
// comes from the configuration.
func TestBootstrapAdmin(t *testing.T) {
	cfg := app.Config{DataDir: t.TempDir(), BcryptCost: 4, Admin: app.Bootstrap{Tenant: "acme", TenantName: "ACME", Email: "boss@acme.example", Password: "first-admin-pw"}}
	for range 2 { // idempotent
		a, err := app.New(context.Background(), cfg)
		require.NoError(t, err)
		ts := httptestServer(a)
		c := newClient(t, ts.URL).login("boss@acme.example", "first-admin-pw")
		var s struct {
			Tenant struct{ ID, Name string } `json:"tenant"`
			User   struct{ Role string }     `json:"user"`
		}
		c.json(http.MethodGet, "/inbox/session", nil, http.StatusOK, &s)
		require.Equal(t, "acme", s.Tenant.ID)
		require.Equal(t, "admin", s.User.Role)
		ts.Close()
		require.NoError(t, a.Close())
	}
}
