package oauth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/inbox"
)

// Client is an application registered at a provider.
type Client struct {
	Provider     Provider
	ClientID     string
	ClientSecret email.Secret
}

// Config returns the client's oauth2 configuration, redirected back to
// redirectURL ("" for refreshing only).
func (c Client) Config(redirectURL string) *oauth2.Config {
	return c.Provider.Config(c.ClientID, string(c.ClientSecret), redirectURL)
}

// TokensOptions configure NewTokens.
type TokensOptions struct {
	// Clients are the registered applications by Provider.ID.
	Clients map[string]Client
	// Rotated stores a refresh token the provider replaced, sealed as
	// the integration's email.SecretOAuthRefreshToken. Nil: not stored,
	// so the replaced token is used again after a restart.
	Rotated func(ctx context.Context, in inbox.Integration, refreshToken string) error
	// EarlyRefresh, HTTPClient and Now are passed to every Source.
	EarlyRefresh time.Duration
	HTTPClient   *http.Client
	Now          func() time.Time
}

// primeTTL bounds how long a freshly exchanged token waits for the
// integration that stores its refresh token.
const primeTTL = 10 * time.Minute

// Tokens gives email.Factory the token source of each integration
// connected with OAuth (email.ConfigOAuthProvider names the provider,
// email.SecretOAuthRefreshToken holds the grant). One Source is kept per
// integration, so access tokens outlive the channels opened for each sync;
// it is replaced when the stored refresh token changes (the mailbox was
// connected again, or another instance stored a rotated one). It is safe
// for concurrent use.
type Tokens struct {
	opts TokensOptions

	mu      sync.Mutex
	sources map[string]cachedSource
	primed  map[string]primedToken // by refresh token
}

type cachedSource struct {
	source *Source
	stored string // the refresh token it was built from
}

type primedToken struct {
	token   *oauth2.Token
	expires time.Time
}

// NewTokens returns a Tokens; its Source method is the
// email.FactoryOptions.Tokens hook.
func NewTokens(opts TokensOptions) *Tokens {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Tokens{opts: opts, sources: map[string]cachedSource{}, primed: map[string]primedToken{}}
}

// Prime hands over the token an authorization code was just exchanged
// for. The integration that stores its refresh token starts with its
// access token, so testing the new mailbox before it is saved does not
// spend the refresh token, which providers may replace on use.
func (t *Tokens) Prime(tok *oauth2.Token) {
	if tok == nil || tok.RefreshToken == "" || tok.AccessToken == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.opts.Now()
	for k, p := range t.primed {
		if now.After(p.expires) {
			delete(t.primed, k)
		}
	}
	t.primed[tok.RefreshToken] = primedToken{token: tok, expires: now.Add(primeTTL)}
}

// Source returns the token source of in, opening its refresh token with
// secret.
func (t *Tokens) Source(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (oauth2.TokenSource, error) {
	id := strings.TrimSpace(in.Config[email.ConfigOAuthProvider])
	client, ok := t.opts.Clients[id]
	if !ok {
		return nil, fmt.Errorf("%w: the mailbox was connected with %q, which this server has no OAuth client for",
			inbox.ErrUnsupported, id)
	}
	raw, err := secret(email.SecretOAuthRefreshToken)
	if err != nil {
		return nil, fmt.Errorf("the mailbox's OAuth authorization: %w", err)
	}
	stored := string(raw)
	key := string(in.TenantID) + "\x00" + in.ID
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.sources[key]; ok && (stored == c.stored || stored == c.source.RefreshToken()) {
		return c.source, nil
	}
	var rotated func(string) error
	if t.opts.Rotated != nil {
		rotated = func(refreshToken string) error {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			return t.opts.Rotated(ctx, in, refreshToken)
		}
	}
	var current *oauth2.Token
	if p, ok := t.primed[stored]; ok && t.opts.Now().Before(p.expires) {
		current = p.token
	}
	s, err := NewSource(SourceOptions{Config: client.Config(""), RefreshToken: stored, Token: current, Rotated: rotated,
		EarlyRefresh: t.opts.EarlyRefresh, HTTPClient: t.opts.HTTPClient, Now: t.opts.Now})
	if err != nil {
		return nil, err
	}
	t.sources[key] = cachedSource{source: s, stored: stored}
	return s, nil
}
