package oauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/channel/email/oauth"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/dovecot"
	"github.com/inboxkit/inboxkit/internal/oauthtest"
)

const mailbox = "support@maison-lumiere.example"

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a provider (fake authorization server) and its mail servers.
type fixture struct {
	auth   *oauthtest.AuthServer
	imap   *oauthtest.IMAPServer
	smtp   *oauthtest.SMTPServer
	clock  *clock
	client oauth.Client
}

func newFixture(t *testing.T, rotate bool) *fixture {
	f := &fixture{clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	f.auth = oauthtest.NewAuthServer(t, oauthtest.AuthOptions{ClientID: "inboxkit-test", ClientSecret: "client-secret",
		User: mailbox, ExpiresIn: time.Hour, RotateRefreshTokens: rotate, Now: f.clock.Now})
	f.imap = oauthtest.NewIMAPServer(t, mailbox, f.auth.Check)
	f.smtp = oauthtest.NewSMTPServer(t, mailbox, f.auth.Check)
	p := oauth.Google
	p.Endpoint = oauth2.Endpoint{AuthURL: f.auth.AuthURL(), TokenURL: f.auth.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}
	f.client = oauth.Client{Provider: p, ClientID: "inboxkit-test", ClientSecret: "client-secret"}
	return f
}

// connect runs the authorization flow and returns the mailbox's source.
func (f *fixture) connect(t *testing.T, rotated func(string) error) *oauth.Source {
	tok := oauthtest.Authorize(t, f.client.Config("http://127.0.0.1/callback"))
	require.NotEmpty(t, tok.RefreshToken)
	s, err := oauth.NewSource(oauth.SourceOptions{Config: f.client.Config(""), RefreshToken: tok.RefreshToken, Token: tok,
		Rotated: rotated, Now: f.clock.Now})
	require.NoError(t, err)
	return s
}

func (f *fixture) channel(t *testing.T, ts oauth2.TokenSource) *email.Channel {
	ch, err := email.New(email.Options{IntegrationID: "gmail", Tenant: "t1",
		IMAP: email.Server{Addr: f.imap.Addr, Security: email.SecurityPlain}, SMTP: email.Server{Addr: f.smtp.Addr, Security: email.SecurityPlain},
		Auth: email.Auth{Username: mailbox, Tokens: ts}, Addresses: []string{mailbox}, SentFolder: "-"})
	require.NoError(t, err)
	return ch
}

func mail(i int) []byte {
	return fmt.Appendf(nil, "From: Client <client%d@courriel.example>\r\nTo: %s\r\nSubject: Commande %d\r\n"+
		"Message-ID: <oauth-%d@courriel.example>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0100\r\n\r\nBonjour %d\r\n", i, mailbox, i, i, i)
}

// pull fetches after cursor and returns the subjects and the new cursor.
func pull(t *testing.T, ch *email.Channel, cursor string) ([]string, string, error) {
	var subjects []string
	err := ch.Pull(context.Background(), cursor, func(_ context.Context, b inbox.Batch) (inbox.IngestResult, error) {
		for _, m := range b.Messages {
			subjects = append(subjects, m.Subject)
		}
		if b.Cursor != nil {
			cursor = *b.Cursor
		}
		return inbox.IngestResult{Stored: len(b.Messages)}, nil
	})
	return subjects, cursor, err
}

func outbound() inbox.Outbound {
	return inbox.Outbound{
		Message: inbox.Message{ID: "m1", Author: inbox.AuthorAgent, Direction: inbox.DirectionOut, Text: "Bonjour", Subject: "Re: Commande",
			From: inbox.Party{Email: mailbox}, To: []inbox.Party{{Email: "client@courriel.example"}}},
		Conversation:   inbox.Conversation{ID: "c1", Subject: "Commande"},
		Contact:        inbox.Contact{Emails: []string{"client@courriel.example"}},
		IdempotencyKey: "m1",
	}
}

func TestMailboxSyncsAndSendsWithAnAccessToken(t *testing.T) {
	f := newFixture(t, false)
	ch := f.channel(t, f.connect(t, nil))
	f.imap.Deliver(t, mail(1))
	got, _, err := pull(t, ch, "")
	require.NoError(t, err)
	require.Equal(t, []string{"Commande 1"}, got)
	_, err = ch.Send(context.Background(), outbound())
	require.NoError(t, err)
	require.Len(t, f.smtp.Received(), 1)
	require.Zero(t, f.auth.Refreshes(), "the token from the code exchange is still fresh")
	require.Zero(t, f.auth.Refused())
}

func TestTokenIsRefreshedBeforeItExpires(t *testing.T) {
	f := newFixture(t, false)
	ch := f.channel(t, f.connect(t, nil))
	f.imap.Deliver(t, mail(1))
	_, cursor, err := pull(t, ch, "")
	require.NoError(t, err)

	f.clock.Advance(59*time.Minute + 30*time.Second) // within the minute before expiry
	f.imap.Deliver(t, mail(2))
	got, _, err := pull(t, ch, cursor)
	require.NoError(t, err)
	require.Equal(t, []string{"Commande 2"}, got)
	require.Equal(t, 1, f.auth.Refreshes())
	require.Zero(t, f.auth.Refused(), "no server ever saw the old token after it was due")
}

func TestRefusedTokenIsRefreshedOnceAndTheLoginRetried(t *testing.T) {
	for _, mechs := range [][]string{{"XOAUTH2"}, {sasl.OAuthBearer}} {
		t.Run(mechs[0], func(t *testing.T) {
			f := newFixture(t, false)
			f.imap.Mechanisms, f.smtp.Mechanisms = mechs, mechs
			ch := f.channel(t, f.connect(t, nil))
			f.imap.Deliver(t, mail(1))

			f.auth.RevokeAccessTokens() // the provider dropped the token before its expiry
			got, _, err := pull(t, ch, "")
			require.NoError(t, err)
			require.Equal(t, []string{"Commande 1"}, got)
			require.Equal(t, 1, f.auth.Refused())
			require.Equal(t, 1, f.auth.Refreshes())

			f.auth.RevokeAccessTokens()
			_, err = ch.Send(context.Background(), outbound())
			require.NoError(t, err)
			require.Len(t, f.smtp.Received(), 1)
			require.Equal(t, 2, f.auth.Refused())
			require.Equal(t, 2, f.auth.Refreshes())
		})
	}
}

func TestRotatedRefreshTokenIsHandedOver(t *testing.T) {
	f := newFixture(t, true)
	var stored []string
	s := f.connect(t, func(rt string) error { stored = append(stored, rt); return nil })
	first := s.RefreshToken()
	f.clock.Advance(2 * time.Hour)
	_, _, err := pull(t, f.channel(t, s), "")
	require.NoError(t, err)
	require.Len(t, stored, 1)
	require.NotEqual(t, first, stored[0])
	require.Equal(t, []string{stored[0]}, f.auth.RefreshTokens(), "the old refresh token no longer works")
}

func TestRevokedGrantIsAnAuthorizationFailureInWords(t *testing.T) {
	f := newFixture(t, false)
	s := f.connect(t, nil)
	ch := f.channel(t, s)
	f.auth.RevokeGrant()
	_, _, err := pull(t, ch, "")
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
	require.NotErrorIs(t, err, inbox.ErrTemporary)
	require.Contains(t, err.Error(), "no longer accepts the mailbox's authorization")
	require.Contains(t, err.Error(), "connect the mailbox again")
	require.NotContains(t, err.Error(), s.RefreshToken())

	_, err = ch.Send(context.Background(), outbound())
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
}

func TestTokenServiceOutageIsTemporary(t *testing.T) {
	f := newFixture(t, false)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"temporarily_unavailable"}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	cfg := f.client.Config("")
	cfg.Endpoint.TokenURL = down.URL
	s, err := oauth.NewSource(oauth.SourceOptions{Config: cfg, RefreshToken: "rt-1"})
	require.NoError(t, err)
	_, _, err = pull(t, f.channel(t, s), "")
	require.ErrorIs(t, err, inbox.ErrTemporary, "a provider's outage is retried, not reported as a revoked grant")
	require.NotErrorIs(t, err, inbox.ErrUnauthorized)
	require.Contains(t, err.Error(), "503")
	require.NotContains(t, err.Error(), "rt-1")
}

func TestTokensReusesOneSourcePerIntegration(t *testing.T) {
	f := newFixture(t, true)
	tok := oauthtest.Authorize(t, f.client.Config("http://127.0.0.1/callback"))
	saved := tok.RefreshToken
	hook := oauth.NewTokens(oauth.TokensOptions{Clients: map[string]oauth.Client{"google": f.client}, Now: f.clock.Now,
		Rotated: func(_ context.Context, in inbox.Integration, rt string) error { saved = rt; return nil }}).Source
	in := inbox.Integration{ID: "i1", TenantID: "t1", Config: map[string]string{email.ConfigOAuthProvider: "google"}}
	secret := func(field string) ([]byte, error) {
		require.Equal(t, email.SecretOAuthRefreshToken, field)
		return []byte(saved), nil
	}
	a, err := hook(context.Background(), in, secret)
	require.NoError(t, err)
	_, err = a.Token()
	require.NoError(t, err)
	require.Equal(t, 1, f.auth.Refreshes())
	b, err := hook(context.Background(), in, secret)
	require.NoError(t, err)
	require.Same(t, a, b, "the access token outlives one channel")
	_, err = b.Token()
	require.NoError(t, err)
	require.Equal(t, 1, f.auth.Refreshes())

	in.Config[email.ConfigOAuthProvider] = "yahoo"
	_, err = hook(context.Background(), in, secret)
	require.ErrorIs(t, err, inbox.ErrUnsupported)
}

// TestPrimedTokenSavesTheRefreshToken: a mailbox tested right after the
// code exchange uses the exchanged access token, so a provider that
// replaces refresh tokens on use has not replaced the one about to be
// stored.
func TestPrimedTokenSavesTheRefreshToken(t *testing.T) {
	f := newFixture(t, true)
	tokens := oauth.NewTokens(oauth.TokensOptions{Clients: map[string]oauth.Client{"google": f.client}, Now: f.clock.Now})
	tok := oauthtest.Authorize(t, f.client.Config("http://127.0.0.1/callback"))
	tokens.Prime(tok)
	in := inbox.Integration{ID: "new", TenantID: "t1", Config: map[string]string{email.ConfigOAuthProvider: "google"}}
	ts, err := tokens.Source(context.Background(), in, func(string) ([]byte, error) { return []byte(tok.RefreshToken), nil })
	require.NoError(t, err)
	f.imap.Deliver(t, mail(1))
	_, _, err = pull(t, f.channel(t, ts), "")
	require.NoError(t, err)
	require.Zero(t, f.auth.Refreshes())
	require.Equal(t, []string{tok.RefreshToken}, f.auth.RefreshTokens(), "the refresh token to store still works")
}

// TestDovecotChecksTokensWithTheAuthorizationServer logs in to a real
// Dovecot whose oauth2 passdb asks the authorization server about each
// token (RFC 7662 introspection), as a provider's IMAP server does.
func TestDovecotChecksTokensWithTheAuthorizationServer(t *testing.T) {
	f := newFixture(t, false)
	owner := dovecot.User{Name: mailbox, Password: "dovecot-oauth-pass"}
	srv := dovecot.StartConfig(t, dovecot.Config{Users: []dovecot.User{owner}, OAuth2IntrospectionURL: f.auth.IntrospectionURL(),
		Extra: "auth_failure_delay = 0"})
	ch, err := email.New(email.Options{IntegrationID: "gmail", Tenant: "t1", IMAP: email.Server{Addr: srv.Addr, Security: email.SecurityPlain},
		Auth: email.Auth{Username: mailbox, Tokens: f.connect(t, nil)}, Addresses: []string{mailbox}, SentFolder: "-"})
	require.NoError(t, err)
	deliver := func(raw []byte) {
		c, err := imapclient.DialInsecure(srv.Addr, nil)
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

	deliver(mail(1))
	got, cursor, err := pull(t, ch, "")
	require.NoError(t, err, srv.Logs())
	require.Equal(t, []string{"Commande 1"}, got)
	require.Zero(t, f.auth.Refused())

	// The provider dropped the token early: Dovecot refuses it, the
	// channel refreshes it and logs in again.
	f.auth.RevokeAccessTokens()
	deliver(mail(2))
	got, _, err = pull(t, ch, cursor)
	require.NoError(t, err, srv.Logs())
	require.Equal(t, []string{"Commande 2"}, got)
	require.Equal(t, 1, f.auth.Refused())
	require.Equal(t, 1, f.auth.Refreshes())

	// Dovecot delays a second attempt after a refusal by seconds: the
	// revoked grant is found at the token endpoint, once the access token
	// is due, before Dovecot is asked again.
	f.auth.RevokeGrant()
	f.clock.Advance(2 * time.Hour)
	_, _, err = pull(t, ch, cursor)
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
	require.Contains(t, err.Error(), "connect the mailbox again")
}
