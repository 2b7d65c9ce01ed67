package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/inbox/seal"
	"github.com/inboxkit/inboxkit/internal/dovecot"
	"github.com/inboxkit/inboxkit/internal/pgtest"
	"github.com/inboxkit/inboxkit/internal/testenv"
)

// The scale-out test runs the real program twice on one PostgreSQL
// database, as a deployment behind a load balancer would.

// buildServer builds the server binary into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// instance is one running server process.
type instance struct {
	name string
	url  string
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan struct{}
}

// startInstance runs the server binary with the shared settings env and
// waits until it is ready.
func startInstance(t *testing.T, bin, name string, env []string, args ...string) *instance {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir(), "-instance", name,
		"-log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	in := &instance{name: name, cmd: cmd, logs: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{w: in.logs}
	require.NoError(t, cmd.Start())
	go func() { _ = cmd.Wait(); close(in.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-in.done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-in.done
		}
		if t.Failed() {
			t.Logf("%s logs:\n%s", name, in.logs.String())
		}
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if m := regexp.MustCompile(`on (http://\S+)/`).FindStringSubmatch(lines.Text()); m != nil {
			in.url = m[1]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	require.NotEmpty(t, in.url, "%s did not start:\n%s", name, in.logs.String())
	require.Eventually(t, func() bool {
		res, err := http.Get(in.url + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "%s is not ready", name)
	return in
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// browser is a logged-in session: its cookie and CSRF token.
type browser struct {
	cookie *http.Cookie
	csrf   string
}

func login(t *testing.T, base string) browser {
	t.Helper()
	res, err := http.Post(base+"/inbox/session", "application/json",
		strings.NewReader(`{"email":"claire@maison-lumiere.example","password":"lumiere-demo"}`))
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var v struct {
		CSRF string `json:"csrf_token"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&v))
	return browser{cookie: res.Cookies()[0], csrf: v.CSRF}
}

// do sends a request with the session's cookie and CSRF token and
// decodes a JSON answer into out.
func (b browser) do(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	req.AddCookie(b.cookie)
	req.Header.Set("X-CSRF-Token", b.csrf)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	if out != nil && res.StatusCode < 300 {
		require.NoError(t, json.NewDecoder(res.Body).Decode(out))
	}
	return res.StatusCode
}

// stream opens the live event stream and returns the event names and
// data lines as they arrive.
func (b browser) stream(t *testing.T, base string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/inbox/events", nil)
	require.NoError(t, err)
	req.AddCookie(b.cookie)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	lines := make(chan string, 1000)
	go func() {
		defer res.Body.Close()
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	return lines
}

// withSchema points a PostgreSQL URL at a schema.
func withSchema(t *testing.T, dsn, schema string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err, "INBOXKIT_TEST_POSTGRES must be a postgres:// URL for this test")
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// leaseHolders lists who holds each mailbox watch lease.
func leaseHolders(t *testing.T, db *sql.DB, schema string) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT name, holder FROM ` + schema + `.leases WHERE name LIKE 'watch/%' AND expires_at > clock_timestamp()`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, holder string
		require.NoError(t, rows.Scan(&name, &holder))
		out[name] = holder
	}
	require.NoError(t, rows.Err())
	return out
}

// TestTwoInstancesOnPostgres runs two server processes on one PostgreSQL
// database and one S3-compatible bucket: a signed webhook posted to
// instance A reaches the live page of instance B, a session started on A
// works on B, each mailbox is watched and synced by one instance, when A
// is killed its mailboxes move to B within one lease period, and an
// attachment A stored downloads from B.
func TestTwoInstancesOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs two server processes")
	}
	schema := pgtest.FreshSchema(t)
	db := pgtest.Admin(t)
	dsn := withSchema(t, pgtest.DSN(), schema)

	var material [seal.KeySize]byte
	_, _ = rand.Read(material[:])
	// A lease of 5 s renewed every 1.7 s leaves a loaded machine room for
	// a stalled renewal without the mailboxes changing hands.
	const lease, syncEvery = 5 * time.Second, time.Second
	// Attachments go to one S3-compatible bucket (an in-process S3
	// server) that both instances share.
	bucket := s3mem.New()
	require.NoError(t, bucket.CreateBucket("inbox-blobs"))
	s3 := httptest.NewServer(gofakes3.New(bucket).Server())
	t.Cleanup(s3.Close)
	env := []string{"INBOXKIT_DB=" + dsn, "INBOXKIT_KEYS=k1:" + base64.StdEncoding.EncodeToString(material[:]),
		"INBOXKIT_BLOBS=s3://inbox-blobs/e2e?insecure=true&endpoint=" + strings.TrimPrefix(s3.URL, "http://"),
		"AWS_ACCESS_KEY_ID=e2e-access", "AWS_SECRET_ACCESS_KEY=e2e-secret", "INBOXKIT_LEASE=" + lease.String(), "INBOXKIT_SYNC_INTERVAL=" + syncEvery.String(),
		"INBOXKIT_INSTANCE=", "OPENAI_API_KEY="}
	bin := buildServer(t)
	a := startInstance(t, bin, "instance-a", env)

	// Mailboxes on a real IMAP server, created while only A runs, so A
	// holds them all when B starts. Without Dovecot the mailbox parts
	// are skipped, the rest runs. (Dovecot starts here, not in the
	// subtest: its socket paths under the subtest's longer temporary
	// directory would be too long.)
	var imapSrv *dovecot.Server
	if _, err := os.Stat(dovecot.Binary); err == nil || testenv.RequireServices() {
		imapSrv = dovecot.Start(t, dovecot.User{Name: "sav@maison-lumiere.example", Password: "imap-pass-1"},
			dovecot.User{Name: "ventes@maison-lumiere.example", Password: "imap-pass-2"})
	}
	var mailboxes []string
	var withAttachment string // a conversation A ingested, with an attachment
	t.Run("mailboxes are synced by the instance holding them", func(t *testing.T) {
		if imapSrv == nil {
			t.Skipf("the mailbox part needs Dovecot (%s; scripts/install-dovecot.sh installs it)", dovecot.Binary)
		}
		host, port, _ := strings.Cut(imapSrv.Addr, ":")
		admin := login(t, a.url)
		for i, u := range imapSrv.Users {
			appendMail(t, imapSrv.Addr, u, fmt.Sprintf("Commande %d avant le démarrage", i), i == 0)
			var created struct {
				ID string `json:"id"`
			}
			status := admin.do(t, http.MethodPost, a.url+"/inbox/integrations", map[string]any{"kind": "email", "name": "Boîte " + u.Name,
				"config": map[string]string{email.ConfigAddress: u.Name, email.ConfigIMAPHost: host, email.ConfigIMAPPort: port,
					email.ConfigIMAPSecurity: "plain", email.ConfigUsername: u.Name},
				"secrets": map[string]string{email.SecretPassword: u.Password}}, &created)
			require.Equal(t, http.StatusCreated, status)
			mailboxes = append(mailboxes, "watch/maison-lumiere/"+created.ID)
		}
		require.Eventually(t, func() bool {
			h := leaseHolders(t, db, schema)
			return h[mailboxes[0]] == a.name && h[mailboxes[1]] == a.name
		}, 20*time.Second, 100*time.Millisecond, "instance A watches both mailboxes")
		for i := range imapSrv.Users {
			id := waitForConversation(t, admin, a.url, fmt.Sprintf("Commande %d avant le démarrage", i))
			if i == 0 {
				withAttachment = id
			}
		}
	})

	b := startInstance(t, bin, "instance-b", env)

	t.Run("a session from A works on B", func(t *testing.T) {
		s := login(t, a.url)
		var view struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		}
		require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, b.url+"/inbox/session", nil, &view))
		require.Equal(t, "claire", view.User.ID)
		require.Equal(t, http.StatusNoContent, s.do(t, http.MethodDelete, b.url+"/inbox/session", nil, nil), "log out on B")
		require.Equal(t, http.StatusUnauthorized, s.do(t, http.MethodGet, a.url+"/inbox/session", nil, nil), "the session ended on A too")

	})

	var onB browser // a session on B, for after the guesses below
	t.Run("a webhook posted to A reaches B's live stream", func(t *testing.T) {
		s := login(t, b.url)
		onB = s
		events := s.stream(t, b.url)
		secret, err := webhook.NewSecret()
		require.NoError(t, err)
		var hook struct {
			ID string `json:"id"`
		}
		require.Equal(t, http.StatusCreated, s.do(t, http.MethodPost, b.url+"/inbox/integrations", map[string]any{"kind": "webhook",
			"name": "Formulaire du site", "secrets": map[string]string{"signing_secret": secret.Encode()}}, &hook))
		body := []byte(`{"external_id":"scaleout-1","channel":"form","from":{"name":"Zoé Lambert","email":"zoe.lambert@courriel.example"},"subject":"Horaires","text":"Êtes-vous ouverts le dimanche ?"}`)
		req, err := http.NewRequest(http.MethodPost, a.url+"/inbox/webhooks/custom/"+hook.ID, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		webhook.SignHeaders(req.Header, "msg_scaleout_1", time.Now(), body, secret)
		posted := time.Now()
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, "A verified the signature with the secret saved through B")

		deadline := time.After(15 * time.Second)
		for {
			select {
			case line, ok := <-events:
				require.True(t, ok, "B's stream ended")
				if strings.HasPrefix(line, "data:") && strings.Contains(line, `"message.received"`) && strings.Contains(line, hook.ID) {
					t.Logf("the webhook posted to A showed on B's stream %v after it was sent", time.Since(posted).Round(time.Millisecond))
					return
				}
			case <-deadline:
				t.Fatal("B's stream did not show the message A received")
			}
		}
	})

	t.Run("password guesses on A and B count together", func(t *testing.T) {
		// Every request comes from 127.0.0.1, which this locks out too:
		// the subtests below use a session opened before.
		try := func(base, password string) int {
			res, err := http.Post(base+"/inbox/session", "application/json",
				strings.NewReader(`{"email":"hugo@maison-lumiere.example","password":"`+password+`"}`))
			require.NoError(t, err)
			res.Body.Close()
			return res.StatusCode
		}
		for i, base := range []string{a.url, b.url, a.url, b.url, a.url} {
			require.Equal(t, http.StatusUnauthorized, try(base, "guess-"+string(rune('a'+i))))
		}
		require.Equal(t, http.StatusTooManyRequests, try(b.url, "lumiere-demo"), "the account is locked on B after guesses on A and B")
	})

	t.Run("killing A moves its mailboxes to B within one lease period", func(t *testing.T) {
		if imapSrv == nil {
			t.Skip("no mailboxes: Dovecot is missing")
		}
		// With both instances up for several sync intervals, B takes
		// none of the mailboxes A holds.
		time.Sleep(3 * syncEvery)
		h := leaseHolders(t, db, schema)
		require.Equal(t, a.name, h[mailboxes[0]])
		require.Equal(t, a.name, h[mailboxes[1]])

		require.NoError(t, a.cmd.Process.Kill())
		<-a.done
		killed := time.Now()
		require.Eventually(t, func() bool {
			h := leaseHolders(t, db, schema)
			return h[mailboxes[0]] == b.name && h[mailboxes[1]] == b.name
		}, lease+syncEvery+2*time.Second, 50*time.Millisecond, "B took over A's mailboxes")
		t.Logf("mailboxes moved to B %v after A was killed (lease %v, sync interval %v)", time.Since(killed).Round(10*time.Millisecond), lease, syncEvery)

		// B now syncs them: new mail arrives through B alone.
		s := onB
		for i, u := range imapSrv.Users {
			subject := fmt.Sprintf("Commande %d après la panne", i)
			appendMail(t, imapSrv.Addr, u, subject, false)
			waitForConversation(t, s, b.url, subject)
		}

		// The attachment A stored in the shared bucket downloads from B.
		var conv struct {
			Messages []struct {
				Attachments []struct {
					Filename string `json:"filename"`
					URL      string `json:"url"`
				} `json:"attachments"`
			} `json:"messages"`
		}
		require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, b.url+"/inbox/conversations/"+withAttachment, nil, &conv))
		require.NotEmpty(t, conv.Messages)
		require.Len(t, conv.Messages[0].Attachments, 1)
		att := conv.Messages[0].Attachments[0]
		require.Equal(t, "devis.csv", att.Filename)
		req, err := http.NewRequest(http.MethodGet, b.url+att.URL, nil)
		require.NoError(t, err)
		req.AddCookie(s.cookie)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, attachmentCSV, string(raw))
	})

	t.Run("SIGTERM stops an instance cleanly", func(t *testing.T) {
		require.NoError(t, b.cmd.Process.Signal(syscall.SIGTERM))
		select {
		case <-b.done:
		case <-time.After(30 * time.Second):
			t.Fatal("B did not stop within 30 s of SIGTERM")
		}
		require.Equal(t, 0, b.cmd.ProcessState.ExitCode(), "B drained and exited without an error")
		if imapSrv != nil {
			// It gave its mailboxes up instead of letting the leases
			// run out, so another instance takes them at once.
			require.Empty(t, leaseHolders(t, db, schema))
		}
	})
}

// attachmentCSV is the attachment of the first mailbox's first mail.
const attachmentCSV = "article;quantité\r\nlampe Orsay;2\r\n"

// appendMail delivers a message to a user's INBOX over IMAP, with a CSV
// attachment when attach is set.
func appendMail(t *testing.T, addr string, u dovecot.User, subject string, attach bool) {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(u.Name, u.Password).Wait())
	header := fmt.Sprintf("From: Jeanne Client <jeanne.client@courriel.example>\r\nTo: %s\r\nSubject: %s\r\n"+
		"Message-ID: <%d.%s@courriel.example>\r\nDate: %s\r\nMIME-Version: 1.0\r\n",
		u.Name, subject, time.Now().UnixNano(), strings.ReplaceAll(u.Name, "@", "."), time.Now().Format(time.RFC1123Z))
	text := "Bonjour, où en est ma commande ?\r\n"
	raw := []byte(header + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text)
	if attach {
		raw = []byte(header + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
			"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text +
			"--b1\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Disposition: attachment; filename=\"devis.csv\"\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(attachmentCSV)) + "\r\n--b1--\r\n")
	}
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	_, err = cmd.Write(raw)
	require.NoError(t, err)
	require.NoError(t, cmd.Close())
	_, err = cmd.Wait()
	require.NoError(t, err)
	require.NoError(t, c.Logout().Wait())
}

// waitForConversation waits until a search for subject finds exactly one
// conversation, the mail ingested once, and returns its id.
func waitForConversation(t *testing.T, s browser, base, subject string) string {
	t.Helper()
	var found int
	var id string
	require.Eventually(t, func() bool {
		var l struct {
			Items []struct {
				ID      string `json:"id"`
				Subject string `json:"subject"`
			} `json:"items"`
		}
		if s.do(t, http.MethodGet, base+"/inbox/conversations?q="+url.QueryEscape(subject), nil, &l) != http.StatusOK {
			return false
		}
		found = 0
		for _, it := range l.Items {
			if it.Subject == subject {
				found++
				id = it.ID
			}
		}
		return found > 0
	}, 20*time.Second, 200*time.Millisecond, "the mail %q was not ingested", subject)
	require.Equal(t, 1, found, "the mail %q was ingested once", subject)
	return id
}
