package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// AuthServer is a fake OAuth 2 authorization server. /authorize approves
// every valid request at once for User (as if the user clicked "Allow")
// and redirects back with a code; /token redeems codes, checking the PKCE
// S256 verifier, and refresh tokens.
type AuthServer struct {
	// URL is the server's base URL.
	URL string

	clientID, clientSecret, user string

	mu        sync.Mutex
	now       func() time.Time
	expiresIn time.Duration
	rotate    bool
	codes     map[string]codeGrant
	access    map[string]issued
	refresh   map[string]string // refresh token → user
	exchanges int
	refreshes int
	refused   int
}

type codeGrant struct {
	user, redirectURI, challenge, scope string
}

type issued struct {
	user    string
	expires time.Time
	revoked bool
}

// AuthOptions configure an AuthServer.
type AuthOptions struct {
	// ClientID and ClientSecret are the registered client. Required.
	ClientID, ClientSecret string
	// User is the account /authorize signs in and approves for. Required.
	User string
	// ExpiresIn is the life of access tokens. 0: one hour.
	ExpiresIn time.Duration
	// RotateRefreshTokens issues a new refresh token on every refresh and
	// invalidates the one used, as Microsoft may.
	RotateRefreshTokens bool
	// Now tells the time access tokens expire by. Nil: time.Now.
	Now func() time.Time
}

// NewAuthServer starts an AuthServer; it stops when the test ends.
func NewAuthServer(t testing.TB, opts AuthOptions) *AuthServer {
	t.Helper()
	if opts.ClientID == "" || opts.ClientSecret == "" || opts.User == "" {
		t.Fatal("oauthtest: AuthOptions needs ClientID, ClientSecret and User")
	}
	s := &AuthServer{clientID: opts.ClientID, clientSecret: opts.ClientSecret, user: opts.User,
		now: opts.Now, expiresIn: opts.ExpiresIn, rotate: opts.RotateRefreshTokens,
		codes: map[string]codeGrant{}, access: map[string]issued{}, refresh: map[string]string{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.expiresIn == 0 {
		s.expiresIn = time.Hour
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /introspect", s.introspect)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// AuthURL is the authorization endpoint.
func (s *AuthServer) AuthURL() string { return s.URL + "/authorize" }

// TokenURL is the token endpoint.
func (s *AuthServer) TokenURL() string { return s.URL + "/token" }

// IntrospectionURL is the RFC 7662 token introspection endpoint a mail
// server (Dovecot's oauth2 passdb) asks about a token.
func (s *AuthServer) IntrospectionURL() string { return s.URL + "/introspect" }

// introspect answers whether a token is active and whose it is; a
// refused token counts like one Check refused.
func (s *AuthServer) introspect(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	token := r.PostForm.Get("token")
	s.mu.Lock()
	user := s.access[token].user
	s.mu.Unlock()
	body := map[string]any{"active": false}
	if s.Check(user, token) == nil {
		body = map[string]any{"active": true, "username": user, "token_type": "Bearer"}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// Check reports whether token is a live access token issued for user:
// what a mail server asks the authorization server (introspection).
func (s *AuthServer) Check(user, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.access[token]
	switch {
	case !ok || it.user != user:
		s.refused++
		return errors.New("unknown access token")
	case it.revoked:
		s.refused++
		return errors.New("access token revoked")
	case !s.now().Before(it.expires):
		s.refused++
		return errors.New("access token expired")
	}
	return nil
}

// RevokeAccessTokens makes every access token issued so far stop working
// before its expiry, as a provider may at any time.
func (s *AuthServer) RevokeAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, it := range s.access {
		it.revoked = true
		s.access[k] = it
	}
}

// RevokeGrant withdraws the user's consent: every refresh and access token
// stops working.
func (s *AuthServer) RevokeGrant() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refresh)
	for k, it := range s.access {
		it.revoked = true
		s.access[k] = it
	}
}

// Exchanges counts redeemed authorization codes.
func (s *AuthServer) Exchanges() int { s.mu.Lock(); defer s.mu.Unlock(); return s.exchanges }

// Refreshes counts refresh_token grants that issued a token.
func (s *AuthServer) Refreshes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refreshes }

// Refused counts access tokens Check refused.
func (s *AuthServer) Refused() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refused }

// RefreshTokens lists the refresh tokens that still work.
func (s *AuthServer) RefreshTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.refresh {
		out = append(out, k)
	}
	return out
}

func (s *AuthServer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != s.clientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case err != nil || !redirect.IsAbs():
		http.Error(w, "redirect_uri must be an absolute URL", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		http.Error(w, "PKCE with code_challenge_method=S256 is required", http.StatusBadRequest)
		return
	case q.Get("state") == "":
		http.Error(w, "state is required", http.StatusBadRequest)
		return
	}
	code := random()
	s.mu.Lock()
	s.codes[code] = codeGrant{user: s.user, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), scope: q.Get("scope")}
	s.mu.Unlock()
	back := redirect.Query()
	back.Set("code", code)
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *AuthServer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.clientSecret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "Unauthorized client")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		g, ok := s.codes[code]
		delete(s.codes, code) // single use
		if !ok || g.redirectURI != r.PostForm.Get("redirect_uri") {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "Bad code or redirect_uri")
			return
		}
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
			return
		}
		s.exchanges++
		rt := random()
		s.refresh[rt] = g.user
		s.issue(w, g.user, rt)
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		user, ok := s.refresh[rt]
		if !ok {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			return
		}
		s.refreshes++
		next := ""
		if s.rotate {
			delete(s.refresh, rt)
			next = random()
			s.refresh[next] = user
		}
		s.issue(w, user, next)
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

// issue answers a new access token (and refresh token, when not empty).
func (s *AuthServer) issue(w http.ResponseWriter, user, refreshToken string) {
	at := random()
	s.access[at] = issued{user: user, expires: s.now().Add(s.expiresIn)}
	body := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(s.expiresIn.Seconds())}
	if refreshToken != "" {
		body["refresh_token"] = refreshToken
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}

func tokenError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func random() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}
