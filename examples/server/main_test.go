package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseFlagsAndEnv(t *testing.T) {
	t.Setenv("INBOXKIT_ADDR", "127.0.0.1:9999")
	t.Setenv("INBOXKIT_DEMO", "false")
	s, err := parse([]string{"-db", "memory"})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9999", s.addr, "environment fills the default")
	require.Equal(t, "memory", s.db)
	require.False(t, s.demo)
	s, err = parse([]string{"-addr", "127.0.0.1:7000"})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7000", s.addr, "a flag wins over the environment")
	_, err = parse([]string{"extra"})
	require.Error(t, err)

	require.Equal(t, 64, s.http.ConnsPerIP)
	s, err = parse([]string{"-trust-proxy"})
	require.NoError(t, err)
	require.Zero(t, s.http.ConnsPerIP, "behind a proxy every connection comes from the proxy")
	s, err = parse([]string{"-trust-proxy", "-max-conns-per-ip", "500"})
	require.NoError(t, err)
	require.Equal(t, 500, s.http.ConnsPerIP)
	_, err = parse([]string{"-max-conns-per-ip", "-1"})
	require.Error(t, err)

	s, err = parse([]string{"-db", "postgres://db.example/inbox", "-lease", "5s", "-instance", "pod-a"})
	require.NoError(t, err)
	require.Equal(t, 5*time.Second, s.run.LeaseTTL)
	require.Equal(t, "pod-a", s.instance)
	require.Equal(t, defaultShutdownTimeout, s.run.ShutdownTimeout)
	_, err = parse([]string{"-lease", "0s"})
	require.ErrorContains(t, err, "-lease must be a positive duration")
	t.Setenv("INBOXKIT_SYNC_INTERVAL", "soon")
	_, err = parse(nil)
	require.ErrorContains(t, err, `INBOXKIT_SYNC_INTERVAL: "soon" is not a duration`)
	t.Setenv("INBOXKIT_SYNC_INTERVAL", "")

	_, err = parse([]string{"-admin-email", "boss@example.com"})
	require.ErrorContains(t, err, "INBOXKIT_ADMIN_PASSWORD", "passwords are never flags")
	t.Setenv("INBOXKIT_ADMIN_PASSWORD", "first-admin-pw")
	s, err = parse([]string{"-admin-email", "boss@example.com", "-tenant", "acme"})
	require.NoError(t, err)
	require.Equal(t, "acme", string(s.admin.Tenant))
	require.Equal(t, "first-admin-pw", s.admin.Password)
}

// TestParseOAuthClients: a provider's button needs its client id (flag or
// environment) and its secret, which comes from the environment only; the
// endpoints can be pointed elsewhere.
func TestParseOAuthClients(t *testing.T) {
	s, err := parse(nil)
	require.NoError(t, err)
	require.Empty(t, s.oauth)

	_, err = parse([]string{"-google-client-id", "123.apps.example"})
	require.ErrorContains(t, err, "INBOXKIT_GOOGLE_CLIENT_SECRET", "client secrets are never flags")

	t.Setenv("INBOXKIT_GOOGLE_CLIENT_SECRET", "google-secret")
	t.Setenv("INBOXKIT_MICROSOFT_CLIENT_ID", "ms-app-id")
	t.Setenv("INBOXKIT_MICROSOFT_CLIENT_SECRET", "ms-secret")
	s, err = parse([]string{"-google-client-id", "123.apps.example", "-google-token-url", "http://127.0.0.1:9/token",
		"-microsoft-tenant", "contoso.example", "-public-url", "https://inbox.example"})
	require.NoError(t, err)
	require.Len(t, s.oauth, 2)
	google, microsoft := s.oauth[0], s.oauth[1]
	require.Equal(t, "google", google.Provider.ID)
	require.Equal(t, "123.apps.example", google.ClientID)
	require.Equal(t, "google-secret", string(google.ClientSecret))
	require.Equal(t, "http://127.0.0.1:9/token", google.Provider.Endpoint.TokenURL)
	require.Equal(t, "https://accounts.google.com/o/oauth2/auth", google.Provider.Endpoint.AuthURL)
	require.Equal(t, "microsoft", microsoft.Provider.ID)
	require.Equal(t, "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token", microsoft.Provider.Endpoint.TokenURL)
	require.Equal(t, "https://inbox.example", s.publicURL)
	require.NotContains(t, fmt.Sprintf("%v %+v %#v", microsoft, microsoft, microsoft), "ms-secret", "a client never prints its secret")
}

func TestMasterKeyGeneratedPrivately(t *testing.T) {
	t.Setenv("INBOXKIT_KEYS", "")
	dir := t.TempDir()
	keys, path, err := masterKeys(settings{dataDir: dir, demo: true})
	require.NoError(t, err)
	require.Len(t, keys, 1)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	again, path2, err := masterKeys(settings{dataDir: dir, demo: true})
	require.NoError(t, err)
	require.Empty(t, path2, "the existing key is reused")
	require.Equal(t, keys[0].Material, again[0].Material)

	none, _, err := masterKeys(settings{dataDir: t.TempDir()})
	require.NoError(t, err)
	require.Empty(t, none, "outside demo mode no key is invented")

	t.Setenv("INBOXKIT_KEYS", "not a key")
	_, _, err = masterKeys(settings{dataDir: dir, demo: true})
	require.ErrorContains(t, err, "INBOXKIT_KEYS")
}

// TestRunServesTheDemo starts the program as a newcomer would and checks
// it prints a URL that serves the UI and the login, then stops cleanly.
func TestRunServesTheDemo(t *testing.T) {
	t.Setenv("INBOXKIT_KEYS", "")
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", dir, "-log-level", "error"}, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var url, login string
	for lines.Scan() && (url == "" || login == "") {
		if m := regexp.MustCompile(`on (http://\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
		if m := regexp.MustCompile(`demo login: (\S+) / (\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			login = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.NotEmpty(t, url)
	require.Equal(t, "claire@maison-lumiere.example", login)
	res, err := http.Get(url)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	_, err = os.Stat(filepath.Join(dir, "inbox.db"))
	require.NoError(t, err, "the default store is SQLite under the data directory")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop")
	}
}

// startServer runs the program as main does, with its settings changed by
// edit, and returns its address; the server stops with the test.
func startServer(t *testing.T, edit func(*settings)) string {
	t.Helper()
	addr, stop := launch(t, edit)
	t.Cleanup(func() { require.NoError(t, stop()) })
	return addr
}

// launch starts the server like startServer; stop ends its context (a
// SIGTERM) and returns what serve returned.
func launch(t *testing.T, edit func(*settings)) (addr string, stop func() error) {
	t.Helper()
	t.Setenv("INBOXKIT_KEYS", "")
	s, err := parse([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir(), "-log-level", "error"})
	require.NoError(t, err)
	if edit != nil {
		edit(&s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, s, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	for addr == "" && lines.Scan() {
		if m := regexp.MustCompile(`on http://(\S+)/`).FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.NotEmpty(t, addr)
	var once sync.Once
	var result error
	return addr, func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(20 * time.Second):
				result = errors.New("the server did not stop")
			}
		})
		return result
	}
}

// shortTimeouts makes the server's limits fast enough for a test.
func shortTimeouts(s *settings) {
	s.http = httpLimits{ReadHeader: 500 * time.Millisecond, Read: time.Second, Idle: time.Second,
		BodyIdle: 300 * time.Millisecond, Body: 2 * time.Second, ConnsPerIP: 64}
}

// closedWithin reports whether the server closes conn within d: reads
// until EOF (a refusal may come first), false if d passes first.
func closedWithin(conn net.Conn, d time.Duration) bool {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	return err == nil || !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestSlowRequestBodiesAreCut: slow headers were cut after ~14 s, but a
// connection that sent its headers and one byte of body stayed open
// (after 420 s still), and 150 such connections all stayed open. A body
// that stays silent longer than the body deadline now ends the
// connection, the event stream is not cut by the read deadlines, and one
// client address holds a bounded number of connections.
func TestSlowRequestBodiesAreCut(t *testing.T) {
	addr := startServer(t, shortTimeouts)
	slowloris := func(path, contentType string) net.Conn {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: 4096\r\n\r\n{", path, addr, contentType)
		require.NoError(t, err)
		return conn
	}

	for _, path := range []string{"/inbox/session", "/inbox/webhooks/sms", "/inbox/conversations/x/reply"} {
		start := time.Now()
		conn := slowloris(path, "application/json")
		require.True(t, closedWithin(conn, 5*time.Second), "%s: the connection is still open after 5 s", path)
		require.Less(t, time.Since(start), 3*time.Second, path)
	}

	t.Run("many at once", func(t *testing.T) {
		conns := make([]net.Conn, 40)
		for i := range conns {
			conns[i] = slowloris("/inbox/session", "application/json")
		}
		for i, c := range conns {
			require.True(t, closedWithin(c, 5*time.Second), "connection %d is still open", i)
		}
	})

	t.Run("the event stream outlives the read deadlines", func(t *testing.T) {
		// The stream needs a session: log in with the demo account.
		res, err := http.Post("http://"+addr+"/inbox/session", "application/json",
			strings.NewReader(`{"email":"claire@maison-lumiere.example","password":"lumiere-demo"}`))
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer conn.Close()
		_, err = fmt.Fprintf(conn, "GET /inbox/events HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n\r\n", addr, res.Cookies()[0].String())
		require.NoError(t, err)
		r := bufio.NewReader(conn)
		status, err := r.ReadString('\n')
		require.NoError(t, err)
		require.Contains(t, status, "200")
		// Past every read deadline the stream is still open: the read
		// times out on our side instead of ending.
		require.False(t, closedWithin(conn, 2500*time.Millisecond), "the stream was cut")
	})
}

// TestConnectionsPerClientAreCapped: beyond its cap a client address's
// connections are closed as soon as they are accepted.
func TestConnectionsPerClientAreCapped(t *testing.T) {
	addr := startServer(t, func(s *settings) {
		shortTimeouts(s)
		s.http.ReadHeader, s.http.ConnsPerIP = 3*time.Second, 4
	})
	var conns []net.Conn
	for range 6 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		conns = append(conns, c)
	}
	closed := 0
	for _, c := range conns {
		if closedWithin(c, 500*time.Millisecond) {
			closed++
		}
	}
	require.Equal(t, 2, closed, "the connections beyond the cap of 4 are closed at once, the others wait for their request")
	for _, c := range conns {
		c.Close()
	}
	require.Eventually(t, func() bool {
		res, err := http.Get("http://" + addr + "/inbox/about")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 5*time.Second, 50*time.Millisecond, "closed connections free their places")
}

func TestMetricsAndVonageFlags(t *testing.T) {
	t.Setenv("INBOXKIT_METRICS_TOKEN", "scrape-token")
	s, err := parse(nil)
	require.NoError(t, err)
	require.Equal(t, "scrape-token", s.metrics.Token, "the token comes from the environment, out of process listings")
	require.False(t, s.metrics.Separate, "/metrics on the main listener by default")
	s, err = parse([]string{"-metrics-addr", "127.0.0.1:9100", "-vonage-sms-url", "http://127.0.0.1:9/sms"})
	require.NoError(t, err)
	require.True(t, s.metrics.Separate)
	require.Equal(t, "127.0.0.1:9100", s.metricsAddr)
	require.Equal(t, "http://127.0.0.1:9/sms", s.vonageSMSURL)
}
