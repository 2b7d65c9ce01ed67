package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/inboxkit/inboxkit/inbox"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestLoginLimiter(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	l := NewLoginLimiter(3, 10*time.Minute, clk.now)
	for range 3 {
		ok, _ := l.Allow("ip:1", "email:a")
		require.True(t, ok)
		l.Fail("ip:1", "email:a")
	}
	ok, wait := l.Allow("ip:1", "email:b")
	require.False(t, ok, "the address is blocked for any email")
	require.Equal(t, 10*time.Minute, wait)
	ok, _ = l.Allow("ip:2", "email:a")
	require.False(t, ok, "the email is blocked from any address")
	ok, _ = l.Allow("ip:2", "email:b")
	require.True(t, ok)

	clk.t = clk.t.Add(10 * time.Minute)
	ok, _ = l.Allow("ip:1", "email:a")
	require.True(t, ok, "failures leave the window")

	l.Fail("ip:3")
	l.Fail("ip:3")
	l.Succeed("ip:3")
	l.Fail("ip:3")
	ok, _ = l.Allow("ip:3")
	require.True(t, ok, "a success clears the count")
}

// TestLoginLimiterReservesBeforeTheCheck: attempts being checked count,
// so parallel attempts beyond Max are refused before any of them failed.
func TestLoginLimiterReservesBeforeTheCheck(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	l := NewLoginLimiter(3, 10*time.Minute, clk.now)
	var held []*Attempt
	for range 3 {
		a, _ := l.Reserve("ip:1", "email:a")
		require.NotNil(t, a)
		held = append(held, a)
	}
	a, wait := l.Reserve("ip:1", "email:b")
	require.Nil(t, a, "three attempts are being checked: a fourth waits")
	require.Equal(t, time.Second, wait)
	ok, _ := l.Allow("ip:1")
	require.False(t, ok)

	held[0].Succeeded("email:a")
	held[0].Failed() // no effect after Succeeded
	a, _ = l.Reserve("ip:1", "email:a")
	require.NotNil(t, a, "a success gives its attempt back")
	held[0] = a
	for _, a := range held {
		a.Failed()
		a.Failed() // counted once
	}
	_, wait = l.Reserve("ip:2", "email:a")
	require.Equal(t, 10*time.Minute, wait, "three failures of the account")

	a, _ = l.Reserve("ip:1", "email:c")
	require.Nil(t, a)
	clk.t = clk.t.Add(10 * time.Minute)
	a, _ = l.Reserve("ip:1", "email:c")
	require.NotNil(t, a)
	a.Failed()
	a, _ = l.Reserve("ip:1", "email:own")
	a.Succeeded("email:own")
	a, _ = l.Reserve("ip:1", "email:c")
	a.Failed()
	a, _ = l.Reserve("ip:1", "email:c")
	a.Failed()
	a, _ = l.Reserve("ip:1", "email:d")
	require.Nil(t, a, "logging into one's own account does not reset the address's failures")
}

func TestSessionsExpire(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	s := NewSessions(time.Hour, clk.now)
	sess := s.Create("t", "claire")
	require.NotEqual(t, sess.ID, sess.CSRF)
	clk.t = clk.t.Add(50 * time.Minute)
	_, ok := s.Get(sess.ID)
	require.True(t, ok)
	clk.t = clk.t.Add(50 * time.Minute)
	_, ok = s.Get(sess.ID)
	require.True(t, ok, "use slides the expiry")
	clk.t = clk.t.Add(61 * time.Minute)
	_, ok = s.Get(sess.ID)
	require.False(t, ok)

	sess = s.Create("t", "claire")
	for range 8 * 24 {
		clk.t = clk.t.Add(59 * time.Minute)
		s.Get(sess.ID)
	}
	_, ok = s.Get(sess.ID)
	require.False(t, ok, "sessions end after MaxAge whatever the activity")

	sess = s.Create("t", "claire")
	s.Delete(sess.ID)
	_, ok = s.Get(sess.ID)
	require.False(t, ok)
}

func TestDirectoryPersistsWithPrivateFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "accounts.json")
	d, err := OpenDirectory(DirectoryOptions{Path: path, BcryptCost: bcrypt.MinCost})
	require.NoError(t, err)
	_, err = d.CreateAccount(ctx, NewAccount{Tenant: "t1", ID: "claire", Email: "Claire@Example.com", Name: "Claire", Role: RoleAdmin, Password: "correct horse"})
	require.NoError(t, err)
	_, clear, err := d.CreateToken(ctx, "t1", "crm", RoleAgent)
	require.NoError(t, err)

	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "correct horse")
	require.NotContains(t, string(raw), clear, "only the token's hash is stored")

	d2, err := OpenDirectory(DirectoryOptions{Path: path, BcryptCost: bcrypt.MinCost})
	require.NoError(t, err)
	acc, err := d2.Authenticate(ctx, " claire@example.COM", "correct horse")
	require.NoError(t, err)
	require.Equal(t, "claire", acc.ID)
	tok, ok := d2.LookupToken(clear)
	require.True(t, ok)
	require.Equal(t, "t1", tok.TenantID)
	ok, _ = d2.EmployeeExists(ctx, "t1", "claire")
	require.True(t, ok)
	ok, _ = d2.EmployeeExists(ctx, "t2", "claire")
	require.False(t, ok, "employees are per tenant")
}

func TestDirectoryRefusesBadAccounts(t *testing.T) {
	ctx := context.Background()
	d, err := OpenDirectory(DirectoryOptions{BcryptCost: bcrypt.MinCost})
	require.NoError(t, err)
	good := NewAccount{Tenant: "t1", ID: "hugo", Email: "hugo@example.com", Name: "Hugo", Role: RoleAgent, Password: "long enough"}
	for _, tc := range []struct {
		field string
		edit  func(*NewAccount)
	}{
		{"id", func(a *NewAccount) { a.ID = "Hugo Bernard" }},
		{"email", func(a *NewAccount) { a.Email = "hugo" }},
		{"name", func(a *NewAccount) { a.Name = " " }},
		{"role", func(a *NewAccount) { a.Role = "owner" }},
		{"password", func(a *NewAccount) { a.Password = "short" }},
		{"tenant", func(a *NewAccount) { a.Tenant = "" }},
	} {
		a := good
		tc.edit(&a)
		_, err := d.CreateAccount(ctx, a)
		var fe *inbox.FieldError
		require.True(t, errors.As(err, &fe), tc.field)
		require.Equal(t, tc.field, fe.Field)
	}
	_, err = d.CreateAccount(ctx, good)
	require.NoError(t, err)
	_, err = d.CreateAccount(ctx, good)
	require.ErrorIs(t, err, inbox.ErrConflict)
	other := good
	other.ID, other.Tenant = "hugo2", "t2"
	_, err = d.CreateAccount(ctx, other)
	require.ErrorIs(t, err, inbox.ErrConflict, "an email logs into one account only")

	_, err = d.Authenticate(ctx, "hugo@example.com", "wrong password")
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
	_, err = d.Authenticate(ctx, "nobody@example.com", "long enough")
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
}

func TestCSRF(t *testing.T) {
	ctx := context.Background()
	d, err := OpenDirectory(DirectoryOptions{BcryptCost: bcrypt.MinCost})
	require.NoError(t, err)
	acc, err := d.CreateAccount(ctx, NewAccount{Tenant: "t1", ID: "ines", Email: "ines@example.com", Name: "Inès", Role: RoleAgent, Password: "long enough"})
	require.NoError(t, err)
	a := &Authenticator{Dir: d, Sessions: NewSessions(0, nil)}
	rec := httptest.NewRecorder()
	sess := a.Login(rec, httptest.NewRequest(http.MethodPost, "/inbox/session", nil), acc)
	cookie := rec.Result().Cookies()[0]

	req := func(method, origin, token string) error {
		r := httptest.NewRequest(method, "http://inbox.example/inbox/conversations", nil)
		r.AddCookie(cookie)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if token != "" {
			r.Header.Set(CSRFHeader, token)
		}
		p, err := a.Authenticate(r)
		require.NoError(t, err)
		return a.CheckCSRF(r, p)
	}
	require.NoError(t, req(http.MethodGet, "", ""), "safe methods need no token")
	require.NoError(t, req(http.MethodPost, "", sess.CSRF))
	require.NoError(t, req(http.MethodPost, "http://inbox.example", sess.CSRF))
	require.ErrorIs(t, req(http.MethodPost, "", ""), ErrCSRF)
	require.ErrorIs(t, req(http.MethodPost, "", "forged"), ErrCSRF)
	require.ErrorIs(t, req(http.MethodPost, "https://evil.example", sess.CSRF), ErrCSRF)

	// TLS requests use the __Host- cookie with Secure.
	rec = httptest.NewRecorder()
	tlsReq := httptest.NewRequest(http.MethodPost, "https://inbox.example/inbox/session", nil)
	a.Login(rec, tlsReq, acc)
	c := rec.Result().Cookies()[0]
	require.Equal(t, "__Host-"+CookieName, c.Name)
	require.True(t, c.Secure)
	require.True(t, c.HttpOnly)
}

// TestSessionPeekDoesNotExtend: a long-lived request (the event stream)
// checks its session without keeping it alive.
func TestSessionPeekDoesNotExtend(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	s := NewSessions(time.Hour, clk.now)
	sess := s.Create("t", "claire")
	clk.t = clk.t.Add(50 * time.Minute)
	got, ok := s.Peek(sess.ID)
	require.True(t, ok)
	require.Equal(t, sess.ExpiresAt, got.ExpiresAt, "not extended")
	clk.t = clk.t.Add(11 * time.Minute)
	_, ok = s.Peek(sess.ID)
	require.False(t, ok)
	_, ok = s.Get(sess.ID)
	require.False(t, ok, "expired for everyone")

	s.MaxAge = 90 * time.Minute
	sess = s.Create("t", "claire")
	clk.t = clk.t.Add(59 * time.Minute)
	_, _ = s.Get(sess.ID)
	got, _ = s.Peek(sess.ID)
	require.Equal(t, clk.t.Add(31*time.Minute), got.ExpiresAt, "the end of MaxAge comes first")
}

func TestCheckOriginComparesSchemeAndHost(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a      Authenticator
		tls    bool
		proto  string
		origin string
		ok     bool
	}{
		{"no origin", Authenticator{}, false, "", "", true},
		{"same http origin", Authenticator{}, false, "", "http://inbox.example", true},
		{"other host", Authenticator{}, false, "", "http://evil.example", false},
		{"null", Authenticator{}, false, "", "null", false},
		{"other scheme", Authenticator{}, false, "", "ftp://inbox.example", false},
		{"https origin, plain server (a proxy it was not told about)", Authenticator{}, false, "", "https://inbox.example", true},
		{"http origin, TLS server", Authenticator{}, true, "", "http://inbox.example", false},
		{"https origin, TLS server", Authenticator{}, true, "", "https://inbox.example", true},
		{"http origin, secure cookies", Authenticator{SecureCookies: true}, false, "", "http://inbox.example", false},
		{"http origin, trusted proxy says https", Authenticator{TrustProxy: true}, false, "https", "http://inbox.example", false},
		{"http origin, untrusted proxy header", Authenticator{}, false, "https", "http://inbox.example", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://inbox.example/inbox/session", nil)
			if tc.tls {
				r = httptest.NewRequest(http.MethodPost, "https://inbox.example/inbox/session", nil)
			}
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			err := tc.a.CheckOrigin(r)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrCSRF)
			}
		})
	}
}

func TestSetRoleKeepsAnAdmin(t *testing.T) {
	ctx := context.Background()
	d, err := OpenDirectory(DirectoryOptions{Path: filepath.Join(t.TempDir(), "accounts.json"), BcryptCost: bcrypt.MinCost})
	require.NoError(t, err)
	for _, a := range []NewAccount{
		{Tenant: "t1", ID: "ann", Email: "ann@example.com", Name: "Ann", Role: RoleAdmin, Password: "long enough"},
		{Tenant: "t1", ID: "bob", Email: "bob@example.com", Name: "Bob", Role: RoleAgent, Password: "long enough"},
		{Tenant: "t2", ID: "cid", Email: "cid@example.com", Name: "Cid", Role: RoleAdmin, Password: "long enough"},
	} {
		_, err := d.CreateAccount(ctx, a)
		require.NoError(t, err)
	}
	_, err = d.SetRole(ctx, "t1", "ann", RoleAgent)
	require.ErrorIs(t, err, ErrLastAdmin, "another tenant's admin does not count")
	acc, err := d.SetRole(ctx, "t1", "bob", RoleAdmin)
	require.NoError(t, err)
	require.Equal(t, RoleAdmin, acc.Role)
	_, err = d.SetRole(ctx, "t1", "ann", RoleAgent)
	require.NoError(t, err)
	got, err := d.Account("t1", "ann")
	require.NoError(t, err)
	require.Equal(t, RoleAgent, got.Role)
	_, err = d.SetRole(ctx, "t1", "nobody", RoleAgent)
	require.ErrorIs(t, err, inbox.ErrNotFound)
	_, err = d.SetRole(ctx, "t1", "bob", "owner")
	require.ErrorIs(t, err, inbox.ErrInvalid)
}
