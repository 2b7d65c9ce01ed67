package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// CookieName is the session cookie's name over plain HTTP. Over TLS the
// "__Host-" prefixed form is used, which browsers only accept with Secure,
// Path=/ and no Domain.
const CookieName = "inboxkit_session"

// CSRFHeader carries the session's CSRF token on unsafe requests.
const CSRFHeader = "X-CSRF-Token"

// ErrCSRF is returned for a cookie-authenticated unsafe request without the
// right CSRF token or from another origin.
var ErrCSRF = errors.New("missing or wrong CSRF token")

// Authenticator turns requests into Principals.
type Authenticator struct {
	Dir      *Directory
	Sessions *Sessions
	// SecureCookies forces the Secure attribute even on plain HTTP
	// (behind a TLS-terminating proxy); the server's origin is then
	// https.
	SecureCookies bool
	// TrustProxy takes the scheme of the server's origin from
	// X-Forwarded-Proto.
	TrustProxy bool
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the request's principal.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Authenticate finds who makes r: a Bearer token, else a session cookie.
// It returns an error wrapping inbox.ErrUnauthorized when neither is valid.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, value, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || value == "" {
			return Principal{}, fmt.Errorf("authorization header must be \"Bearer <token>\": %w", inbox.ErrUnauthorized)
		}
		t, ok := a.Dir.LookupToken(strings.TrimSpace(value))
		if !ok {
			return Principal{}, fmt.Errorf("unknown or revoked API token: %w", inbox.ErrUnauthorized)
		}
		return Principal{Tenant: t.TenantID, Actor: "token:" + t.ID, Name: t.Name, Role: t.Role, TokenID: t.ID}, nil
	}
	c, err := r.Cookie(a.cookieName(r))
	if err != nil {
		return Principal{}, fmt.Errorf("not logged in: %w", inbox.ErrUnauthorized)
	}
	s, ok := a.Sessions.Get(c.Value)
	if !ok {
		return Principal{}, fmt.Errorf("session expired: %w", inbox.ErrUnauthorized)
	}
	acc, err := a.Dir.Account(inbox.TenantID(s.Tenant), s.AccountID)
	if err != nil {
		a.Sessions.Delete(s.ID)
		return Principal{}, fmt.Errorf("account no longer exists: %w", inbox.ErrUnauthorized)
	}
	return Principal{Tenant: s.Tenant, Actor: acc.ID, Name: acc.Name, Role: acc.Role, Session: &s}, nil
}

// Valid reports whether p's credentials still hold, without extending a
// session: its session is live and its account exists, or its token is
// not revoked. For a session, until is when it expires unless used
// again; for a token it is zero. Long-lived requests (the event stream)
// check it, since they were authenticated once, at their start.
func (a *Authenticator) Valid(p Principal) (ok bool, until time.Time) {
	switch {
	case p.Session != nil:
		s, ok := a.Sessions.Peek(p.Session.ID)
		if !ok {
			return false, time.Time{}
		}
		if _, err := a.Dir.Account(inbox.TenantID(s.Tenant), s.AccountID); err != nil {
			return false, time.Time{}
		}
		return true, s.ExpiresAt
	case p.TokenID != "":
		for _, t := range a.Dir.Tokens(inbox.TenantID(p.Tenant)) {
			if t.ID == p.TokenID {
				return true, time.Time{}
			}
		}
	}
	return false, time.Time{}
}

// CheckCSRF verifies an unsafe cookie-authenticated request: the Origin
// header, when present, must be this server, and X-CSRF-Token must equal
// the session's token. Safe methods and token requests pass.
func (a *Authenticator) CheckCSRF(r *http.Request, p Principal) error {
	if p.Session == nil {
		return nil
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if err := a.CheckOrigin(r); err != nil {
		return err
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.Session.CSRF)) != 1 {
		return ErrCSRF
	}
	return nil
}

// CheckOrigin verifies that r's Origin header, when present, names this
// server: the same host and the same scheme. The server's scheme is https
// over TLS, with SecureCookies (behind a TLS proxy) or a trusted
// X-Forwarded-Proto of https; then an http:// origin (a page a network
// attacker injected) is refused. Over plain HTTP with no sign of a TLS
// proxy, an https:// origin of the same host is accepted too: it is the
// same site over a channel at least as safe, as a proxy the server was
// not told about makes it. The error wraps ErrCSRF.
func (a *Authenticator) CheckOrigin(r *http.Request) error {
	o := r.Header.Get("Origin")
	if o == "" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
		return fmt.Errorf("origin %q is not this server: %w", o, ErrCSRF)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case a.httpsOrigin(r):
		if scheme != "https" {
			return fmt.Errorf("origin %q is not this server (https): %w", o, ErrCSRF)
		}
	case scheme != "http" && scheme != "https":
		return fmt.Errorf("origin %q is not this server: %w", o, ErrCSRF)
	}
	return nil
}

// Origin is the server's origin as the browser making r reaches it
// ("https://inbox.example"): the scheme as CheckOrigin decides it, and
// the request's host.
func (a *Authenticator) Origin(r *http.Request) string {
	if a.httpsOrigin(r) {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// httpsOrigin reports whether browsers reach this server over https.
func (a *Authenticator) httpsOrigin(r *http.Request) bool {
	if r.TLS != nil || a.SecureCookies {
		return true
	}
	if a.TrustProxy {
		proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
		return strings.EqualFold(strings.TrimSpace(proto), "https")
	}
	return false
}

// Login starts a session and sets its cookie.
func (a *Authenticator) Login(w http.ResponseWriter, r *http.Request, acc Account) Session {
	s := a.Sessions.Create(acc.TenantID, acc.ID)
	http.SetCookie(w, &http.Cookie{
		Name: a.cookieName(r), Value: s.ID, Path: "/", HttpOnly: true, Secure: a.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int(a.Sessions.MaxAge.Seconds()),
	})
	return s
}

// Logout ends the request's session and clears the cookie.
func (a *Authenticator) Logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(a.cookieName(r)); err == nil {
		a.Sessions.Delete(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: a.cookieName(r), Value: "", Path: "/", HttpOnly: true, Secure: a.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

func (a *Authenticator) secure(r *http.Request) bool { return a.SecureCookies || r.TLS != nil }

func (a *Authenticator) cookieName(r *http.Request) string {
	if a.secure(r) {
		return "__Host-" + CookieName
	}
	return CookieName
}
