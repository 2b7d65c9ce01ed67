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

// TokensOptions configure Tokens.
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

// Tokens returns the email.FactoryOptions.Tokens hook: the token source of
// an integration connected with OAuth (email.ConfigOAuthProvider names the
// provider, email.SecretOAuthRefreshToken holds the grant). One Source is
// kept per integration, so access tokens outlive the channels opened for
// each sync; it is replaced when the stored refresh token changes (the
// mailbox was connected again, or another instance stored a rotated one).
func Tokens(opts TokensOptions) func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (oauth2.TokenSource, error) {
	type cached struct {
		source *Source
		stored string // the refresh token it was built from
	}
	var mu sync.Mutex
	sources := map[string]cached{}
	return func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (oauth2.TokenSource, error) {
		id := strings.TrimSpace(in.Config[email.ConfigOAuthProvider])
		client, ok := opts.Clients[id]
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
		mu.Lock()
		defer mu.Unlock()
		if c, ok := sources[key]; ok && (stored == c.stored || stored == c.source.RefreshToken()) {
			return c.source, nil
		}
		var rotated func(string) error
		if opts.Rotated != nil {
			rotated = func(refreshToken string) error {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				return opts.Rotated(ctx, in, refreshToken)
			}
		}
		s, err := NewSource(SourceOptions{Config: client.Config(""), RefreshToken: stored, Rotated: rotated,
			EarlyRefresh: opts.EarlyRefresh, HTTPClient: opts.HTTPClient, Now: opts.Now})
		if err != nil {
			return nil, err
		}
		sources[key] = cached{source: s, stored: stored}
		return s, nil
	}
}
