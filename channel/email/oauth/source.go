package oauth

import (
	"context"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/inbox"
)

// SourceOptions configure a Source. Config and RefreshToken are required.
type SourceOptions struct {
	// Config is the registered client and the provider's endpoint.
	Config *oauth2.Config
	// RefreshToken is the grant the mailbox's owner gave.
	RefreshToken string
	// Token, when set, is a current access token (from the code
	// exchange), used until it is due for a refresh.
	Token *oauth2.Token
	// EarlyRefresh is how long before its expiry an access token is
	// replaced, so that no server sees it expire mid-use. The lead is
	// at most half the token's life. 0: one minute.
	EarlyRefresh time.Duration
	// Rotated is told the new refresh token when the provider replaces
	// it (Microsoft may), so the host stores it; until it returns nil it
	// is called again on each Token call. Nil: nothing is stored.
	Rotated func(refreshToken string) error
	// HTTPClient calls the token endpoint. Nil: a client with a 30 s
	// timeout.
	HTTPClient *http.Client
	// Now tells the time tokens expire by. Nil: time.Now.
	Now func() time.Time
}

// Source is an oauth2.TokenSource for one mailbox: it keeps the access
// token until shortly before it expires, refreshes it with the refresh
// token, hands a replaced refresh token to SourceOptions.Rotated, and
// drops a token a mail server refused (email.TokenInvalidator). It is
// safe for concurrent use.
type Source struct {
	opts SourceOptions

	mu        sync.Mutex
	refresh   string
	unsaved   bool // refresh was rotated and Rotated has not accepted it
	token     *oauth2.Token
	expiresAt time.Time // zero: no expiry given
	lead      time.Duration
}

var _ email.TokenInvalidator = (*Source)(nil)

// NewSource validates opts and returns a Source.
func NewSource(opts SourceOptions) (*Source, error) {
	switch {
	case opts.Config == nil || opts.Config.Endpoint.TokenURL == "":
		return nil, inbox.Invalid("SourceOptions.Config", "needs the provider's token URL")
	case opts.RefreshToken == "":
		return nil, inbox.Invalid("SourceOptions.RefreshToken", "is required")
	}
	if opts.EarlyRefresh <= 0 {
		opts.EarlyRefresh = time.Minute
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Source{opts: opts, refresh: opts.RefreshToken}
	if opts.Token != nil && opts.Token.AccessToken != "" {
		s.keep(opts.Token, opts.Now())
	}
	return s, nil
}

// Token returns a current access token, refreshing it when it is due.
// A refused grant (revoked consent) is an *oauth2.RetrieveError with
// ErrorCode "invalid_grant".
func (s *Source) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if s.token != nil && (s.expiresAt.IsZero() || now.Add(s.lead).Before(s.expiresAt)) {
		s.saveRotated()
		return s.copyToken(), nil
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.opts.HTTPClient)
	tok, err := s.opts.Config.TokenSource(ctx, &oauth2.Token{RefreshToken: s.refresh}).Token()
	if err != nil {
		s.token = nil
		return nil, err
	}
	if tok.RefreshToken != "" && tok.RefreshToken != s.refresh {
		s.refresh, s.unsaved = tok.RefreshToken, true
	}
	s.saveRotated()
	s.keep(tok, now)
	return s.copyToken(), nil
}

// saveRotated hands a rotated refresh token to Rotated until it takes it:
// the old one may already be dead at the provider.
func (s *Source) saveRotated() {
	if s.unsaved && s.opts.Rotated != nil && s.opts.Rotated(s.refresh) == nil {
		s.unsaved = false
	}
}

// InvalidateToken drops accessToken if it is the one kept, so the next
// Token call refreshes: a server refused it before its expiry.
func (s *Source) InvalidateToken(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != nil && s.token.AccessToken == accessToken {
		s.token = nil
	}
}

// RefreshToken returns the current refresh token, rotated or not.
func (s *Source) RefreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh
}

// keep stores tok, obtained at now. Its expiry is taken from expires_in on
// the Source's clock rather than from the wall clock oauth2 used.
func (s *Source) keep(tok *oauth2.Token, now time.Time) {
	s.token = tok
	s.expiresAt, s.lead = time.Time{}, s.opts.EarlyRefresh
	var life time.Duration
	switch {
	case tok.ExpiresIn > 0:
		life = time.Duration(tok.ExpiresIn) * time.Second
	case !tok.Expiry.IsZero():
		life = time.Until(tok.Expiry)
	default:
		return
	}
	s.expiresAt = now.Add(life)
	s.lead = min(s.lead, life/2)
}

func (s *Source) copyToken() *oauth2.Token {
	t := *s.token
	t.RefreshToken = s.refresh
	return &t
}
