package app_test

// Regression tests for the findings of the outside security probe of the
// reference server: each reproduces the attack as the probe ran it,
// through the real HTTP handler.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
)

// parallel sends n requests built by build at the same moment, each on a
// connection of its own, and returns their statuses and answers in order.
func parallel(t *testing.T, n int, build func(i int) *http.Request) ([]int, []*http.Response) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer hc.CloseIdleConnections()
	statuses := make([]int, n)
	answers := make([]*http.Response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		req := build(i)
		wg.Go(func() {
			<-start
			res, err := hc.Do(req)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			res.Body.Close()
			statuses[i], answers[i] = res.StatusCode, res
		})
	}
	close(start)
	wg.Wait()
	return statuses, answers
}

func countStatus(statuses []int) map[int]int {
	m := map[int]int{}
	for _, s := range statuses {
		m[s]++
	}
	return m
}

// TestParallelLoginsCannotPassTheLimit: the limiter checked before the
// password comparison and counted the failure after it, so 40 attempts
// fired at once (39 wrong, then the right password) were all checked
// (39×401 + 1×200) and 200 parallel wrong attempts never saw a 429. An
// attempt is now reserved before the comparison: beyond the limit (5),
// concurrent attempts get 429 without a password check.
func TestParallelLoginsCannotPassTheLimit(t *testing.T) {
	login := func(base, email, password string) *http.Request {
		req, err := http.NewRequest(http.MethodPost, base+"/inbox/session",
			strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		return req
	}

	// A realistic bcrypt cost, as the probe met: the comparison takes long
	// enough for every parallel attempt to pass a check made before it.
	realCost := func(c *app.Config) { c.BcryptCost = 8 }

	t.Run("39 wrong passwords and the right one", func(t *testing.T) {
		_, ts := newServerWith(t, realCost)
		statuses, answers := parallel(t, 40, func(i int) *http.Request {
			pw := "wrong-guess-" + fmt.Sprint(i)
			if i == 39 {
				pw = demo.Password
			}
			return login(ts.URL, "tom@maison-lumiere.example", pw)
		})
		n := countStatus(statuses)
		// At most the limit of wrong passwords is checked (a success gives
		// its attempt back, so the right one may come on top).
		require.LessOrEqual(t, n[http.StatusUnauthorized], 5, "%v", n)
		require.LessOrEqual(t, n[http.StatusOK], 1, "%v", n)
		require.Equal(t, 40-n[http.StatusUnauthorized]-n[http.StatusOK], n[http.StatusTooManyRequests], "%v", n)
		for i, s := range statuses {
			if s == http.StatusTooManyRequests {
				require.NotEmpty(t, answers[i].Header.Get("Retry-After"))
			}
		}
	})

	t.Run("200 wrong passwords from one address", func(t *testing.T) {
		_, ts := newServerWith(t, realCost)
		statuses, _ := parallel(t, 200, func(i int) *http.Request {
			return login(ts.URL, "ines@maison-lumiere.example", "wrong-guess-"+fmt.Sprint(i))
		})
		n := countStatus(statuses)
		require.LessOrEqual(t, n[http.StatusUnauthorized], 5, "%v", n)
		require.Equal(t, 200-n[http.StatusUnauthorized], n[http.StatusTooManyRequests], "%v", n)
	})
}

// signedSMS posts a Vonage SMS webhook to number, signed with secret, and
// returns the status.
func signedSMS(t *testing.T, base, number, secret, text, id string) int {
	t.Helper()
	p := vonage.SMSParams{"msisdn": "33698765000", "to": number, "messageId": id, "text": text, "type": "text",
		"message-timestamp": time.Now().UTC().Format("2006-01-02 15:04:05"),
		"timestamp":         strconv.FormatInt(time.Now().Unix(), 10), "nonce": id + "-nonce"}
	sig, err := vonage.SignSMS(p, []byte(secret), vonage.HMACSHA256)
	require.NoError(t, err)
	p["sig"] = sig
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	res, err := http.Post(base+"/inbox/webhooks/sms", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	res.Body.Close()
	return res.StatusCode
}

// secondTenant adds the tenant "autre-boutique" and its admin, logged in.
func secondTenant(t *testing.T, a *app.App, base string) *client {
	t.Helper()
	ctx := context.Background()
	_, err := a.Engine.CreateTenant(ctx, inbox.Tenant{ID: "autre-boutique", Name: "Autre boutique"}, inbox.Change{Actor: "test"})
	require.NoError(t, err)
	_, err = a.Accounts.CreateAccount(ctx, auth.NewAccount{Tenant: "autre-boutique", ID: "zoe", Email: "zoe@autre.example", Name: "Zoé",
		Role: auth.RoleAdmin, Password: "autre-password"})
	require.NoError(t, err)
	return newClient(t, base).login("zoe@autre.example", "autre-password")
}

// TestReceivingNumberBelongsToOneIntegration: nothing stopped two tenants
// from registering the same receiving number, and inbound webhooks went
// to the first tenant that had it: B's correctly signed webhooks got 401,
// and messages signed with A's secret to B's number were stored in A. A
// number another enabled integration uses is now refused with 409, on
// create and on update, and the webhook resolver refuses a number two
// enabled integrations share instead of picking one.
func TestReceivingNumberBelongsToOneIntegration(t *testing.T) {
	a, ts := newServer(t)
	alice := admin(t, ts.URL)
	zoe := secondTenant(t, a, ts.URL)
	const number, secretA, secretB = "33757000099", "sms-secret-of-tenant-a", "sms-secret-of-tenant-b"
	sms := func(from, secret string) map[string]any {
		return map[string]any{"kind": "sms", "name": "SMS", "config": map[string]string{"from": from, "signature_method": "sha256"},
			"secrets": map[string]string{"signature_secret": secret}}
	}
	var mine struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	alice.json(http.MethodPost, "/inbox/integrations", sms(number, secretA), http.StatusCreated, &mine)

	// Another tenant cannot register the number.
	{
		p := zoe.problem(http.MethodPost, "/inbox/integrations", sms("+33 7 57 00 00 99", secretB), http.StatusConflict)
		require.Contains(t, p.Detail, "already receives")
		require.NotContains(t, p.Detail, "maison", "the other tenant is not named")
		zoe.problem(http.MethodPost, "/inbox/integrations", map[string]any{"kind": "whatsapp", "name": "WA",
			"config": map[string]string{"from": number}, "secrets": map[string]string{"signature_secret": secretB}}, http.StatusConflict)
		zoe.problem(http.MethodPost, "/inbox/integrations", sms(demo.SMSNumber, secretB), http.StatusConflict)
	}
	// Nor take it by an update.
	{
		var theirs struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
		}
		zoe.json(http.MethodPost, "/inbox/integrations", sms("33757000098", secretB), http.StatusCreated, &theirs)
		zoe.problem(http.MethodPatch, "/inbox/integrations/"+theirs.ID, map[string]any{"config": map[string]string{"from": "0033757000099"}, "version": theirs.Version}, http.StatusConflict)
		// Disabled, it may name the number; enabling it again is refused.
		zoe.json(http.MethodPatch, "/inbox/integrations/"+theirs.ID, map[string]any{"enabled": false, "version": theirs.Version}, http.StatusOK, &theirs)
		zoe.json(http.MethodPatch, "/inbox/integrations/"+theirs.ID, map[string]any{"config": map[string]string{"from": number}, "version": theirs.Version}, http.StatusOK, &theirs)
		zoe.problem(http.MethodPatch, "/inbox/integrations/"+theirs.ID, map[string]any{"enabled": true, "version": theirs.Version}, http.StatusConflict)
	}
	// Nor a second integration of the same tenant.
	{
		alice.problem(http.MethodPost, "/inbox/integrations", sms(number, "another-secret"), http.StatusConflict)
		// Its own integration may be saved again with its own number.
		alice.json(http.MethodPatch, "/inbox/integrations/"+mine.ID, map[string]any{"name": "SMS Lyon", "config": map[string]string{"from": number}, "version": mine.Version}, http.StatusOK, &mine)
	}

	require.Equal(t, http.StatusOK, signedSMS(t, ts.URL, number, secretA, "Bonjour de A", "0B0000001"))

	// The webhook refuses a number two integrations share.
	{
		// Data saved before the check existed: B holds the number too.
		name := "SMS pirate"
		_, err := a.Engine.CreateIntegration(context.Background(), "autre-boutique", inbox.IntegrationChange{Kind: inbox.SourceSMS, Name: &name,
			Config: map[string]string{"from": number, "signature_method": "sha256"}, Secrets: map[string]string{"signature_secret": secretB}},
			inbox.Change{Actor: "test"})
		require.NoError(t, err)
		require.NotEqual(t, http.StatusOK, signedSMS(t, ts.URL, number, secretA, "signé par A", "0B0000002"))
		require.NotEqual(t, http.StatusOK, signedSMS(t, ts.URL, number, secretB, "signé par B", "0B0000003"))
		for _, c := range []*client{alice, zoe} {
			var l listJSON
			c.json(http.MethodGet, "/inbox/conversations?q=signé", nil, http.StatusOK, &l)
			require.Empty(t, l.Items, "nothing is stored for an ambiguous number")
		}
	}
}

// openStream opens the event stream as c and returns a channel closed
// when the server ends it.
func openStream(t *testing.T, c *client) <-chan struct{} {
	t.Helper()
	res := streamResponse(t, c)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
	}()
	return ended
}

// streamResponse opens the event stream as c, for 20 seconds at most.
func streamResponse(t *testing.T, c *client) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/inbox/events", nil)
	require.NoError(t, err)
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	res, err := c.http.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	return res
}

func requireEnds(t *testing.T, stream <-chan struct{}, why string) {
	t.Helper()
	select {
	case <-stream:
	case <-time.After(5 * time.Second):
		t.Fatalf("the event stream is still open after %s", why)
	}
}

// TestEventStreamEndsWithItsCredentials: an open event stream survived
// logout and token revocation, delivering the tenant's events to whoever
// held it. A stream now ends when its session logs out or expires, or its
// token is revoked.
func TestEventStreamEndsWithItsCredentials(t *testing.T) {
	_, ts := newServer(t)

	t.Run("logout", func(t *testing.T) {
		c := admin(t, ts.URL)
		stream, other := openStream(t, c), openStream(t, c)
		c.json(http.MethodDelete, "/inbox/session", nil, http.StatusNoContent, nil)
		requireEnds(t, stream, "logout")
		requireEnds(t, other, "logout (a second tab)")
	})

	t.Run("another session stays", func(t *testing.T) {
		c, d := admin(t, ts.URL), admin(t, ts.URL)
		stream := openStream(t, d)
		c.json(http.MethodDelete, "/inbox/session", nil, http.StatusNoContent, nil)
		select {
		case <-stream:
			t.Fatal("another session's logout ended this stream")
		case <-time.After(300 * time.Millisecond):
		}
	})

	t.Run("token revocation", func(t *testing.T) {
		c := admin(t, ts.URL)
		var tok struct{ ID, Token string }
		c.json(http.MethodPost, "/inbox/tokens", map[string]string{"name": "CRM", "role": "agent"}, http.StatusCreated, &tok)
		bot := newClient(t, ts.URL)
		bot.bearer = tok.Token
		stream := openStream(t, bot)
		c.json(http.MethodDelete, "/inbox/tokens/"+tok.ID, nil, http.StatusNoContent, nil)
		requireEnds(t, stream, "the token was revoked")
	})

	t.Run("session expiry", func(t *testing.T) {
		_, ts := newServerWith(t, func(c *app.Config) { c.SessionTTL = time.Second })
		stream := openStream(t, admin(t, ts.URL))
		requireEnds(t, stream, "the session expired")
	})
}

// costlyRules cost a few milliseconds per part and message, well within
// the evaluation budget, and match every message (the last part), so the
// preview also explains each match: about 50 ms per conversation.
func costlyRules() map[string]any {
	const part = `len(filter(1..5000, {string(#) matches "^9+8$"}))`
	var parts []any
	for range 5 {
		parts = append(parts, map[string]any{"expr": part + " < 0"})
	}
	parts = append(parts, map[string]any{"expr": part + " >= 0"})
	return map[string]any{"any": parts}
}

type previewJSON struct {
	Scanned int    `json:"scanned"`
	Matched int    `json:"matched"`
	Partial bool   `json:"partial"`
	Note    string `json:"note"`
	Items   []any  `json:"items"`
}

// TestRulePreviewIsBounded: POST /inbox/rules/preview cost about 3.4
// CPU-seconds per request for any agent, with no limit (rules within
// their evaluation budget, evaluated and explained on up to 500
// conversations, as many requests at once as sent). A preview now has a
// deadline and a cap on the conversations it evaluates, and answers a
// partial result saying so; previews of a tenant beyond the concurrency
// limit or the rate get 429.
func TestRulePreviewIsBounded(t *testing.T) {
	_, ts := newServerWithHistory(t, 80) // 104 conversations
	c := agent(t, ts.URL)

	t.Run("one preview", func(t *testing.T) {
		start := time.Now()
		var p previewJSON
		c.json(http.MethodPost, "/inbox/rules/preview", map[string]any{"rules": costlyRules(), "limit": 500}, http.StatusOK, &p)
		took := time.Since(start)
		require.Less(t, took, 3500*time.Millisecond, "a preview is bounded by its deadline")
		require.True(t, p.Partial)
		require.Less(t, p.Scanned, 104)
		require.Contains(t, p.Note, "stopped after")
		t.Logf("%v: %d conversations evaluated: %s", took, p.Scanned, p.Note)
	})

	t.Run("parallel previews beyond the limit", func(t *testing.T) {
		raw := `{"rules":` + mustJSON(t, costlyRules()) + `,"limit":500}`
		statuses, answers := parallel(t, 8, func(int) *http.Request {
			req, err := http.NewRequest(http.MethodPost, ts.URL+"/inbox/rules/preview", strings.NewReader(raw))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", c.csrf)
			for _, ck := range c.http.Jar.Cookies(req.URL) {
				req.AddCookie(ck)
			}
			return req
		})
		n := countStatus(statuses)
		require.LessOrEqual(t, n[http.StatusOK], 2, "%v", n)
		require.Equal(t, 8-n[http.StatusOK], n[http.StatusTooManyRequests], "%v", n)
		for i, s := range statuses {
			if s == http.StatusTooManyRequests {
				require.NotEmpty(t, answers[i].Header.Get("Retry-After"))
			}
		}
	})

	t.Run("the rate per tenant", func(t *testing.T) {
		cheap := map[string]any{"field": "channel", "op": "equals", "value": "sms"}
		limited := 0
		for range 12 {
			res, raw := c.do(http.MethodPost, "/inbox/rules/preview", map[string]any{"rules": cheap})
			require.Contains(t, []int{http.StatusOK, http.StatusTooManyRequests}, res.StatusCode, string(raw))
			if res.StatusCode == http.StatusTooManyRequests {
				limited++
				require.Contains(t, string(raw), "previews per minute")
			}
		}
		require.NotZero(t, limited, "12 previews within seconds exceed the rate")
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

// TestDataFilesArePrivate: the SQLite database was created 0644,
// readable by every local user. Every file the server keeps under its
// data directory is now 0600 and every directory 0700.
func TestDataFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, ts := newServerWith(t, func(c *app.Config) { c.DataDir = dir })
	c := admin(t, ts.URL)
	conv := findConv(t, c, "Oliver Bennett")
	var d struct {
		Conversation convJSON `json:"conversation"`
	}
	c.json(http.MethodGet, "/inbox/conversations/"+conv.ID, nil, http.StatusOK, &d)
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	res, raw := c.multipartReply("/inbox/conversations/"+conv.ID+"/reply", "Voici le bon", d.Conversation.Version, map[string][]byte{"bon.pdf": pdf}, "application/pdf")
	require.Equal(t, http.StatusCreated, res.StatusCode, string(raw))

	seen := map[string]bool{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		want := fs.FileMode(0o600)
		if e.IsDir() {
			want = 0o700
		}
		require.Equal(t, want, info.Mode().Perm(), "%s", rel)
		seen[filepath.Base(path)] = true
		return nil
	}))
	for _, name := range []string{"inbox.db", "inbox.db-wal", "accounts.json", "blobs"} {
		require.True(t, seen[name], "%s was checked: %v", name, seen)
	}
}

// TestOriginSchemeIsChecked: the Origin (CSRF) check compared the host
// only, so a page served over http:// (a network attacker's injection)
// passed for an https:// server. Scheme and host are compared now.
func TestOriginSchemeIsChecked(t *testing.T) {
	a, _ := newServer(t)
	ts := httptest.NewTLSServer(a.Handler())
	t.Cleanup(ts.Close)
	c := newClient(t, ts.URL)
	c.http.Transport = ts.Client().Transport
	host := strings.TrimPrefix(ts.URL, "https://")
	login := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/inbox/session",
			strings.NewReader(`{"email":"claire@maison-lumiere.example","password":"`+demo.Password+`"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		res, _ := c.send(req)
		return res
	}
	require.Equal(t, http.StatusForbidden, login("http://"+host).StatusCode, "login from the http:// origin")
	require.Equal(t, http.StatusOK, login("https://"+host).StatusCode)
	c.login("claire@maison-lumiere.example", demo.Password)

	conv := findConv(t, c, "Léa Fontaine")
	post := func(origin string) int {
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/inbox/conversations/"+conv.ID+"/notes", strings.NewReader(`{"body":"note"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		res, _ := c.send(req)
		return res.StatusCode
	}
	require.Equal(t, http.StatusForbidden, post("http://"+host), "an unsafe request from the http:// origin, with the CSRF token")
	require.Equal(t, http.StatusForbidden, post("null"))
	require.Equal(t, http.StatusCreated, post("https://"+host))
}

// TestWebhooksCheckContentType: the webhook endpoints did not look at
// Content-Type: a correctly signed JSON webhook posted as text/plain (or
// as a form, as a browser's cross-site form can) was stored. A JSON
// webhook that is not application/json is now refused with 415 before
// anything else; the SMS webhook takes a form or JSON.
func TestWebhooksCheckContentType(t *testing.T) {
	a, ts := newServer(t)
	secret, err := webhook.ParseSecret(a.DemoWebhookSecret)
	require.NoError(t, err)
	custom := func(contentType, id string) int {
		body := []byte(`{"external_id":"` + id + `","channel":"form","from":{"name":"Zoé","email":"zoe@courriel.example"},"text":"Bonjour"}`)
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/inbox/webhooks/custom/"+a.Demo.Integrations[inbox.SourceWebhook], bytes.NewReader(body))
		require.NoError(t, err)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		webhook.SignHeaders(req.Header, "msg_"+id, time.Now(), body, secret)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	post := func(path, contentType, body string) int {
		res, err := http.Post(ts.URL+path, contentType, strings.NewReader(body))
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	for i, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", ""} {
		require.Equal(t, http.StatusUnsupportedMediaType, custom(ct, fmt.Sprint("ct-", i)), "custom webhook as %q", ct)
	}
	require.Equal(t, http.StatusOK, custom("application/json; charset=utf-8", "ct-ok"))
	require.Equal(t, http.StatusUnsupportedMediaType, post("/inbox/webhooks/whatsapp", "text/plain", `{"to":"33757000000"}`))
	require.Equal(t, http.StatusUnsupportedMediaType, post("/inbox/webhooks/sms", "text/plain", "to=33757000000"))
	require.NotEqual(t, http.StatusUnsupportedMediaType, post("/inbox/webhooks/sms", "application/x-www-form-urlencoded", "to=33757000000"))
	require.NotEqual(t, http.StatusUnsupportedMediaType, post("/inbox/webhooks/sms", "application/json", `{"to":"33757000000"}`))
}

// TestWrongMethodAndTooLargeAnswers: a wrong method on a known route and
// a body over the limit were answered 404 and 400. They are 405 with an
// Allow header, and 413.
func TestWrongMethodAndTooLargeAnswers(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)
	conv := findConv(t, c, "Léa Fontaine")

	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodGet, "/inbox/webhooks/whatsapp", "POST"},
		{http.MethodPut, "/inbox/webhooks/custom/x", "POST"},
		{http.MethodDelete, "/inbox/conversations", "GET, HEAD"},
		{http.MethodPut, "/inbox/folders/x", "DELETE, GET, HEAD, PATCH"},
		{http.MethodGet, "/inbox/conversations/" + conv.ID + "/reply", "POST"},
		{http.MethodPost, "/inbox/session", ""}, // POST is allowed: not a 405
	} {
		res, raw := c.do(tc.method, tc.path, nil)
		if tc.allow == "" {
			require.NotEqual(t, http.StatusMethodNotAllowed, res.StatusCode, "%s %s", tc.method, tc.path)
			continue
		}
		require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode, "%s %s: %s", tc.method, tc.path, raw)
		require.Equal(t, tc.allow, res.Header.Get("Allow"), "%s %s", tc.method, tc.path)
	}
	c.problem(http.MethodGet, "/inbox/no-such-route", nil, http.StatusNotFound)
	c.problem(http.MethodDelete, "/inbox/no-such-route", nil, http.StatusNotFound)

	big := strings.Repeat("x", 3<<20)
	p := c.problem(http.MethodPost, "/inbox/conversations/"+conv.ID+"/notes", map[string]string{"body": big}, http.StatusRequestEntityTooLarge)
	require.Equal(t, []string{"body"}, p.fields())
	newClient(t, ts.URL).problem(http.MethodPost, "/inbox/session", map[string]string{"email": big, "password": "x"}, http.StatusRequestEntityTooLarge)

	var d struct {
		Conversation convJSON `json:"conversation"`
	}
	c.json(http.MethodGet, "/inbox/conversations/"+conv.ID, nil, http.StatusOK, &d)
	huge := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), 26<<20)...)
	res, raw := c.multipartReply("/inbox/conversations/"+conv.ID+"/reply", "Voici", d.Conversation.Version, map[string][]byte{"gros.pdf": huge}, "application/pdf")
	require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode, string(raw))
	require.Contains(t, string(raw), `"field":"attachments[0]"`)
}

// TestIntegrationSettingsFollowTheSchema: a custom webhook integration
// could be created without a signing secret (accepting unsigned
// requests), and config keys such as imap_pass were stored as plain
// settings and shown to every agent. The engine's integration schemas
// refuse both; the API answers 400 naming the field, and nothing is
// stored.
func TestIntegrationSettingsFollowTheSchema(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)
	whsec, err := webhook.NewSecret()
	require.NoError(t, err)
	const leaked = "hunter2-leak-check"

	p := c.problem(http.MethodPost, "/inbox/integrations", map[string]any{"kind": "webhook", "name": "Formulaire sans secret"}, http.StatusBadRequest)
	require.Equal(t, []string{"secrets.signing_secret"}, p.fields(), p.Detail)
	p = c.problem(http.MethodPost, "/inbox/integrations", map[string]any{"kind": "webhook", "name": "Formulaire",
		"secrets": map[string]string{"signing_secret": "not-a-whsec-secret"}}, http.StatusBadRequest)
	require.Equal(t, []string{"secrets.signing_secret"}, p.fields(), p.Detail)

	for _, tc := range []struct {
		kind, key string
		config    map[string]string
		secrets   map[string]string
	}{
		{"email", "imap_pass", map[string]string{"address": "sav@maison-lumiere.example", "imap_host": "imap.example.com", "smtp_host": "smtp.example.com", "username": "sav"},
			map[string]string{"password": "mailbox-password"}},
		{"sms", "pwd", map[string]string{"from": "33757000777"}, map[string]string{"signature_secret": "sig"}},
		{"whatsapp", "apikey", map[string]string{"from": "33757000778"}, map[string]string{"signature_secret": "sig"}},
		{"webhook", "imap_pass", nil, map[string]string{"signing_secret": whsec.Encode()}},
		{"webhook", "apikey", nil, map[string]string{"signing_secret": whsec.Encode()}},
	} {
		cfg := map[string]string{tc.key: leaked}
		for k, v := range tc.config {
			cfg[k] = v
		}
		p := c.problem(http.MethodPost, "/inbox/integrations", map[string]any{"kind": tc.kind, "name": "Test " + tc.key, "config": cfg, "secrets": tc.secrets},
			http.StatusBadRequest)
		require.Equal(t, []string{"config." + tc.key}, p.fields(), "%s: %s", tc.kind, p.Detail)
		require.Contains(t, p.Errors[0].Reason, "is not a setting of "+tc.kind+" integrations")
		require.NotContains(t, p.Detail, leaked)
	}
	// Nor on an update of an existing integration.
	var in struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	c.json(http.MethodGet, "/inbox/integrations/"+findIntegration(t, c, "webhook"), nil, http.StatusOK, &in)
	p = c.problem(http.MethodPatch, "/inbox/integrations/"+in.ID, map[string]any{"config": map[string]string{"pwd": leaked}, "version": in.Version}, http.StatusBadRequest)
	require.Equal(t, []string{"config.pwd"}, p.fields())

	ag := agent(t, ts.URL)
	for _, path := range []string{"/inbox/integrations", "/inbox/integrations/" + in.ID} {
		_, raw := ag.do(http.MethodGet, path, nil)
		require.NotContains(t, string(raw), leaked, path)
	}
	_, raw := c.do(http.MethodGet, "/inbox/audit?limit=1000", nil)
	require.NotContains(t, string(raw), leaked)
}

// findIntegration returns the id of the tenant's first integration of kind.
func findIntegration(t *testing.T, c *client, kind string) string {
	t.Helper()
	var l struct {
		Items []struct{ ID, Kind string } `json:"items"`
	}
	c.json(http.MethodGet, "/inbox/integrations", nil, http.StatusOK, &l)
	for _, in := range l.Items {
		if in.Kind == kind {
			return in.ID
		}
	}
	t.Fatalf("no %s integration", kind)
	return ""
}
