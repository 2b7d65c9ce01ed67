package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/oauth2"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/channel/email/oauth"
	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/seal"
	"github.com/inboxkit/inboxkit/internal/dovecot"
	"github.com/inboxkit/inboxkit/internal/oauthtest"
)

const (
	oauthMailbox  = "support@atelier.example"
	oauthAdmin    = "boss@atelier.example"
	oauthPassword = "atelier-admin-pw"
)

// stepClock is a clock the test moves; the engine, the token sources
// and the fake authorization server all read it.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncedLog is a log buffer safe for concurrent writes.
type syncedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *syncedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}
func (l *syncedLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

// oauthWorld is a reference server with "Connect Gmail" pointed at a fake
// Google: its authorization server and a mailbox that takes only its
// tokens.
type oauthWorld struct {
	app   *app.App
	smtp  *oauthtest.SMTPServer
	ts    *httptest.Server
	auth  *oauthtest.AuthServer
	clock *stepClock
	log   *syncedLog
	// imapAddr is the mailbox's IMAP server; deliverRaw puts mail in it.
	imapAddr   string
	deliverRaw func(raw []byte)
}

// Mailbox servers an oauthWorld can use.
const (
	// goIMAP is go-imap's in-memory server checking tokens in process.
	goIMAP = "go-imap"
	// dovecotIMAP is Dovecot whose oauth2 passdb asks the authorization
	// server about each token (RFC 7662 introspection).
	dovecotIMAP = "dovecot"
	// deadIMAP is a port nothing listens on.
	deadIMAP = "dead"
)

func newOAuthWorld(t *testing.T, server string) *oauthWorld {
	w := &oauthWorld{clock: &stepClock{t: time.Now().UTC().Truncate(time.Second)}, log: &syncedLog{}}
	w.auth = oauthtest.NewAuthServer(t, oauthtest.AuthOptions{ClientID: "atelier.apps.example", ClientSecret: "google-client-secret",
		User: oauthMailbox, ExpiresIn: time.Hour, RotateRefreshTokens: true, Now: w.clock.Now})
	switch server {
	case goIMAP:
		mem := oauthtest.NewIMAPServer(t, oauthMailbox, w.auth.Check)
		w.imapAddr, w.deliverRaw = mem.Addr, func(raw []byte) { mem.Deliver(t, raw) }
	case dovecotIMAP:
		owner := dovecot.User{Name: oauthMailbox, Password: "dovecot-owner-pw"}
		dc := dovecot.StartConfig(t, dovecot.Config{Users: []dovecot.User{owner},
			OAuth2IntrospectionURL: w.auth.IntrospectionURL(), Extra: "auth_failure_delay = 0"})
		w.imapAddr, w.deliverRaw = dc.Addr, func(raw []byte) { appendAs(t, dc.Addr, owner, raw) }
	case deadIMAP:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		w.imapAddr = ln.Addr().String()
		ln.Close()
	}
	w.smtp = oauthtest.NewSMTPServer(t, oauthMailbox, w.auth.Check)

	google := oauth.Google
	google.Endpoint = oauth2.Endpoint{AuthURL: w.auth.AuthURL(), TokenURL: w.auth.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}
	google.IMAP = email.Server{Addr: w.imapAddr, Security: email.SecurityPlain}
	google.SMTP = email.Server{Addr: w.smtp.Addr, Security: email.SecurityPlain}

	var material [seal.KeySize]byte
	_, _ = rand.Read(material[:])
	keys, err := seal.ParseKeys("k1:" + base64.StdEncoding.EncodeToString(material[:]))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	// No Run: the test syncs through the API, so no background sync or
	// IMAP IDLE logs in between its steps.
	w.app, err = app.New(ctx, app.Config{DataDir: t.TempDir(), Keys: keys, BcryptCost: bcrypt.MinCost, Clock: w.clock,
		Admin:  app.Bootstrap{Tenant: "atelier", Email: oauthAdmin, Password: oauthPassword},
		OAuth:  []oauth.Client{{Provider: google, ClientID: "atelier.apps.example", ClientSecret: "google-client-secret"}},
		Logger: slog.New(slog.NewTextHandler(w.log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	w.ts = httptest.NewServer(w.app.Handler())
	t.Cleanup(func() {
		w.ts.CloseClientConnections()
		w.ts.Close()
		cancel()
		require.NoError(t, w.app.Close())
	})
	return w
}

// connect clicks "Connect Gmail" as c and follows the redirects as a
// browser would: to the authorization server, which approves at once,
// back to the callback, then to the settings page. It returns the
// outcome and the integration the page was told about.
func (w *oauthWorld) connect(t *testing.T, c *client, body map[string]string) (outcome, integration string) {
	var start struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	c.json(http.MethodPost, "/inbox/oauth/google/start", body, http.StatusOK, &start)
	u, err := url.Parse(start.AuthorizeURL)
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, w.auth.AuthURL(), u.Scheme+"://"+u.Host+u.Path)
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.NotEmpty(t, q.Get("code_challenge"))
	require.Equal(t, w.ts.URL+"/inbox/oauth/google/callback", q.Get("redirect_uri"))
	require.Equal(t, "https://mail.google.com/", q.Get("scope"))
	require.Equal(t, "offline", q.Get("access_type"))
	return w.follow(t, c, start.AuthorizeURL)
}

// follow GETs u with c's cookies, following redirects, and reads the
// outcome from the settings page address it ends on.
func (w *oauthWorld) follow(t *testing.T, c *client, u string) (outcome, integration string) {
	var landed *url.URL
	browser := &http.Client{Jar: c.http.Jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		landed = req.URL
		return nil
	}}
	res, err := browser.Get(u)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "the browser ends on the web UI")
	require.NotNil(t, landed)
	require.Equal(t, "/", landed.Path)
	frag, query, ok := strings.Cut(landed.Fragment, "?")
	require.True(t, ok, landed.String())
	require.Equal(t, "/settings/integrations", frag)
	v, err := url.ParseQuery(query)
	require.NoError(t, err)
	return v.Get("oauth"), v.Get("integration")
}

type integrationDoc struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Status     string            `json:"status"`
	Config     map[string]string `json:"config"`
	SecretsSet []string          `json:"secrets_set"`
	LastSync   struct {
		New    int      `json:"new"`
		Errors []string `json:"errors"`
	} `json:"last_sync"`
	Health struct {
		State   string `json:"state"`
		Problem string `json:"problem"`
	} `json:"health"`
}

// appendAs stores raw in INBOX, logged in with the owner's password.
func appendAs(t *testing.T, addr string, owner dovecot.User, raw []byte) {
	c, err := imapclient.DialInsecure(addr, nil)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(owner.Name, owner.Password).Wait())
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	_, err = cmd.Write(raw)
	require.NoError(t, err)
	require.NoError(t, cmd.Close())
	_, err = cmd.Wait()
	require.NoError(t, err)
}

func (w *oauthWorld) deliver(t *testing.T, i int) {
	w.deliverRaw(fmt.Appendf(nil, "From: Client %d <client%d@courriel.example>\r\nTo: %s\r\nSubject: Commande %d\r\n"+
		"Message-ID: <oauth-%d@courriel.example>\r\nDate: %s\r\n\r\nBonjour, où en est ma commande %d ?\r\n",
		i, i, oauthMailbox, i, i, w.clock.Now().Format(time.RFC1123Z), i))
}

// storedRefreshToken opens the integration's sealed refresh token.
func (w *oauthWorld) storedRefreshToken(t *testing.T, id string) string {
	in, err := w.app.Engine.Integration(context.Background(), "atelier", id)
	require.NoError(t, err)
	plain, err := w.app.Sealer.Open(context.Background(), in.Secrets[email.SecretOAuthRefreshToken],
		inbox.SealContext{Tenant: "atelier", IntegrationID: id, Field: email.SecretOAuthRefreshToken})
	require.NoError(t, err)
	return string(plain)
}

// TestConnectGmailEndToEnd connects a mailbox with OAuth through the API
// the way the settings page does, syncs it, lives through an expiring
// and a revoked access token, and ends on a revoked grant: the mailbox
// then fails with a reason a person can act on, and connecting it again
// brings it back. No token ever shows in an answer or a log. The mailbox
// is go-imap's server, then a real Dovecot asking the authorization
// server about every token.
func TestConnectGmailEndToEnd(t *testing.T) {
	for _, server := range []string{goIMAP, dovecotIMAP} {
		t.Run(server, func(t *testing.T) { connectGmailEndToEnd(t, server) })
	}
}

func connectGmailEndToEnd(t *testing.T, server string) {
	w := newOAuthWorld(t, server)
	c := newClient(t, w.ts.URL).login(oauthAdmin, oauthPassword)

	var sess struct {
		Features struct {
			OAuth []struct{ ID, Name string } `json:"oauth_providers"`
		} `json:"features"`
	}
	c.json(http.MethodGet, "/inbox/session", nil, http.StatusOK, &sess)
	require.Equal(t, []struct{ ID, Name string }{{"google", "Gmail"}}, sess.Features.OAuth)

	outcome, id := w.connect(t, c, map[string]string{"address": "Support@Atelier.example"})
	require.Equal(t, "connected", outcome)
	require.NotEmpty(t, id)
	require.Equal(t, 1, w.auth.Exchanges())
	require.Zero(t, w.auth.Refreshes(), "the mailbox was tested with the token just issued")

	var in integrationDoc
	c.json(http.MethodGet, "/inbox/integrations/"+id, nil, http.StatusOK, &in)
	require.Equal(t, "Gmail "+oauthMailbox, in.Name)
	require.Equal(t, "xoauth2", in.Config["auth"])
	require.Equal(t, "google", in.Config["oauth_provider"])
	require.Equal(t, oauthMailbox, in.Config["username"])
	require.Contains(t, in.SecretsSet, "oauth_refresh_token")

	// The mailbox syncs with the access token.
	w.deliver(t, 1)
	var rep struct{ New int }
	c.json(http.MethodPost, "/inbox/integrations/"+id+"/sync", nil, http.StatusOK, &rep)
	require.Equal(t, 1, rep.New)

	// An hour later the token is due: it is refreshed before any server
	// sees it expired, and the refresh token the provider replaced is
	// sealed in its place.
	w.clock.Advance(time.Hour)
	w.deliver(t, 2)
	c.json(http.MethodPost, "/inbox/integrations/"+id+"/sync", nil, http.StatusOK, &rep)
	require.Equal(t, 1, rep.New)
	require.GreaterOrEqual(t, w.auth.Refreshes(), 1)
	require.Zero(t, w.auth.Refused(), "no expired token reached the mailbox")
	live := w.auth.RefreshTokens()
	require.Len(t, live, 1)
	require.Equal(t, live[0], w.storedRefreshToken(t, id), "the replaced refresh token is the one stored")

	// The provider drops the access token early: the login is refused
	// once, the token refreshed, the sync goes through.
	w.auth.RevokeAccessTokens()
	w.deliver(t, 3)
	refreshes := w.auth.Refreshes()
	c.json(http.MethodPost, "/inbox/integrations/"+id+"/sync", nil, http.StatusOK, &rep)
	require.Equal(t, 1, rep.New)
	require.Equal(t, 1, w.auth.Refused())
	require.Equal(t, refreshes+1, w.auth.Refreshes())

	// A reply leaves through SMTP, logged in with the same token.
	var convs struct {
		Items []struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
		} `json:"items"`
	}
	c.json(http.MethodGet, "/inbox/conversations", nil, http.StatusOK, &convs)
	require.NotEmpty(t, convs.Items)
	c.json(http.MethodPost, "/inbox/conversations/"+convs.Items[0].ID+"/reply",
		map[string]any{"text": "Bonjour, votre commande part demain.", "version": convs.Items[0].Version}, http.StatusCreated, nil)
	sent, err := w.app.Engine.DeliverOutbox(context.Background(), "atelier")
	require.NoError(t, err)
	require.Equal(t, 1, sent)
	require.Len(t, w.smtp.Received(), 1)
	require.Contains(t, string(w.smtp.Received()[0]), "votre commande part demain")

	// The owner withdraws the app's access: the sync fails and the
	// integration says why, in words.
	w.auth.RevokeGrant()
	w.clock.Advance(2 * time.Hour)
	p := c.problem(http.MethodPost, "/inbox/integrations/"+id+"/sync", nil, http.StatusBadGateway)
	require.Contains(t, p.Detail, "connect the mailbox again")
	c.json(http.MethodGet, "/inbox/integrations/"+id, nil, http.StatusOK, &in)
	require.Equal(t, inbox.IntegrationAuthFailed, in.Status)
	require.Equal(t, inbox.HealthFailing, in.Health.State)
	require.Equal(t, "The mail server no longer accepts this mailbox's sign-in: connect the mailbox again.", in.Health.Problem)
	require.NotEmpty(t, in.LastSync.Errors)
	require.Contains(t, in.LastSync.Errors[len(in.LastSync.Errors)-1], "no longer accepts the mailbox's authorization")

	// Connecting again replaces the grant of the same integration.
	outcome, again := w.connect(t, c, map[string]string{"address": oauthMailbox, "integration_id": id})
	require.Equal(t, "connected", outcome)
	require.Equal(t, id, again)
	w.deliver(t, 4)
	c.json(http.MethodPost, "/inbox/integrations/"+id+"/sync", nil, http.StatusOK, &rep)
	require.Equal(t, 1, rep.New)
	c.json(http.MethodGet, "/inbox/integrations/"+id, nil, http.StatusOK, &in)
	require.Equal(t, inbox.HealthOK, in.Health.State)
	var list struct{ Items []integrationDoc }
	c.json(http.MethodGet, "/inbox/integrations", nil, http.StatusOK, &list)
	require.Len(t, list.Items, 1)

	// Tokens never leave the server.
	_, raw := c.do(http.MethodGet, "/inbox/integrations", nil)
	_, audit := c.do(http.MethodGet, "/inbox/audit", nil)
	for _, tok := range append(w.auth.RefreshTokens(), w.storedRefreshToken(t, id)) {
		require.NotContains(t, string(raw), tok)
		require.NotContains(t, string(audit), tok)
		require.NotContains(t, w.log.String(), tok)
	}
	require.NotContains(t, w.log.String(), "google-client-secret")
}

// TestConnectingAnotherAccountIsRefused: the admin typed one address but
// signed in at the provider as another account. The mailbox refuses the
// token, so nothing is saved and the page says so; a mail server that
// does not answer is told apart.
func TestConnectingAnotherAccountIsRefused(t *testing.T) {
	w := newOAuthWorld(t, goIMAP)
	c := newClient(t, w.ts.URL).login(oauthAdmin, oauthPassword)
	outcome, id := w.connect(t, c, map[string]string{"address": "sales@atelier.example"})
	require.Equal(t, "refused", outcome)
	require.Empty(t, id)
	var list struct{ Items []integrationDoc }
	c.json(http.MethodGet, "/inbox/integrations", nil, http.StatusOK, &list)
	require.Empty(t, list.Items)

	// Signed in, but the mail server does not answer: not saved either,
	// and the page says which it was.
	w = newOAuthWorld(t, deadIMAP)
	c = newClient(t, w.ts.URL).login(oauthAdmin, oauthPassword)
	outcome, _ = w.connect(t, c, map[string]string{"address": oauthMailbox})
	require.Equal(t, "unreachable", outcome)
	c.json(http.MethodGet, "/inbox/integrations", nil, http.StatusOK, &list)
	require.Empty(t, list.Items)
}

// TestOAuthCallbackIsBoundToTheSession: a callback finishes only the
// flow its own session started. An authorization code and state carried
// to another session, a state that does not match, or a provider's
// refusal connect nothing.
func TestOAuthCallbackIsBoundToTheSession(t *testing.T) {
	w := newOAuthWorld(t, goIMAP)
	victim := newClient(t, w.ts.URL).login(oauthAdmin, oauthPassword)
	attacker := newClient(t, w.ts.URL).login(oauthAdmin, oauthPassword)

	// The attacker starts a flow and stops at the redirect back, keeping
	// its code and state.
	var start struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	attacker.json(http.MethodPost, "/inbox/oauth/google/start", map[string]string{"address": oauthMailbox}, http.StatusOK, &start)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(start.AuthorizeURL)
	require.NoError(t, err)
	res.Body.Close()
	callback := res.Header.Get("Location")
	require.Contains(t, callback, "/inbox/oauth/google/callback?")

	// The victim's browser is made to open it: no flow of its session.
	outcome, id := w.follow(t, victim, callback)
	require.Equal(t, "expired", outcome)
	require.Empty(t, id)

	// The victim has a flow of its own, but the state is not its.
	victim.json(http.MethodPost, "/inbox/oauth/google/start", map[string]string{"address": oauthMailbox}, http.StatusOK, nil)
	outcome, _ = w.follow(t, victim, callback)
	require.Equal(t, "expired", outcome)

	// Logged out, nothing is connected either.
	outcome, _ = w.follow(t, newClient(t, w.ts.URL), callback)
	require.Equal(t, "expired", outcome)

	// The owner declines at the provider.
	var mine struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	victim.json(http.MethodPost, "/inbox/oauth/google/start", map[string]string{"address": oauthMailbox}, http.StatusOK, &mine)
	u, _ := url.Parse(mine.AuthorizeURL)
	outcome, _ = w.follow(t, victim, w.ts.URL+"/inbox/oauth/google/callback?error=access_denied&state="+url.QueryEscape(u.Query().Get("state")))
	require.Equal(t, "denied", outcome)

	require.Zero(t, w.auth.Exchanges(), "no code was redeemed")
	var list struct{ Items []integrationDoc }
	victim.json(http.MethodGet, "/inbox/integrations", nil, http.StatusOK, &list)
	require.Empty(t, list.Items)

	// Bad input is told in words.
	p := victim.problem(http.MethodPost, "/inbox/oauth/google/start", map[string]string{"address": "not an address"}, http.StatusBadRequest)
	require.Equal(t, []string{"address"}, p.fields())
	victim.problem(http.MethodPost, "/inbox/oauth/yahoo/start", map[string]string{"address": oauthMailbox}, http.StatusNotFound)
}

// TestBrowserConnectsGmail clicks "Connect Gmail" in Settings →
// Integrations in a real browser: it goes to the provider, which
// approves, comes back to the integrations page, says so in words, and
// lists the mailbox with a way to connect it again.
func TestBrowserConnectsGmail(t *testing.T) {
	ctx := browser(t)
	w := newOAuthWorld(t, goIMAP)
	dir := artefacts(t)

	do(t, ctx, "log in", chromedp.Navigate(w.ts.URL), chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SendKeys(chromedp.ID("login-email"), oauthAdmin), chromedp.SendKeys(chromedp.ID("login-password"), oauthPassword),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	waitJS(t, ctx, "the app", `!document.querySelector('#app').hidden`)
	do(t, ctx, "settings", chromedp.Navigate(w.ts.URL+"/#/settings"))
	click(t, ctx, `[data-section=integrations]`)
	waitJS(t, ctx, "connect card", `!!document.querySelector('#connect-mailbox [data-provider=google]')`)
	require.Equal(t, "Connect Gmail", eval[string](t, ctx, `document.querySelector('#connect-mailbox [data-provider=google]').textContent`))

	// An address is needed first, and the page says which field is wrong.
	click(t, ctx, `#connect-mailbox [data-provider=google]`)
	waitJS(t, ctx, "address error", `!!document.querySelector('#connect-mailbox .field-error')`)

	do(t, ctx, "address", chromedp.SendKeys(chromedp.ID("oauth-address"), oauthMailbox))
	click(t, ctx, `#connect-mailbox [data-provider=google]`)
	// The page goes away to the provider and comes back: wait across the
	// navigations for the integrations page to say how it went.
	landed := false
	for deadline := time.Now().Add(15 * time.Second); !landed && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		landed, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`location.hash === '#/settings' && !!document.querySelector('#oauth-notice')`))
	}
	require.True(t, landed, "back on the integrations page with the outcome")
	require.Contains(t, eval[string](t, ctx, `document.querySelector('#oauth-notice').textContent`), "Mailbox connected")
	screenshot(t, ctx, dir, "oauth-connected")
	row := eval[string](t, ctx, `document.querySelector('#settings-body table tbody').textContent`)
	require.Contains(t, row, "Gmail "+oauthMailbox)
	require.Contains(t, row, "signed in with Gmail")
	require.NotContains(t, row, "oauth_refresh_token")
	require.True(t, eval[bool](t, ctx, `!!document.querySelector('[data-reconnect]')`))
	require.Equal(t, 1, w.auth.Exchanges())
}
