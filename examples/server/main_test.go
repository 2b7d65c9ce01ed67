package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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

	_, err = parse([]string{"-admin-email", "boss@example.com"})
	require.ErrorContains(t, err, "INBOXKIT_ADMIN_PASSWORD", "passwords are never flags")
	t.Setenv("INBOXKIT_ADMIN_PASSWORD", "first-admin-pw")
	s, err = parse([]string{"-admin-email", "boss@example.com", "-tenant", "acme"})
	require.NoError(t, err)
	require.Equal(t, "acme", string(s.admin.Tenant))
	require.Equal(t, "first-admin-pw", s.admin.Password)
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
