package dovecot

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inboxkit/inboxkit/internal/testenv"
)

// Binary is where Debian's dovecot-core installs the server.
const Binary = "/usr/sbin/dovecot"

// User is a mailbox account.
type User struct {
	Name     string
	Password string
}

// DefaultUser is created when Start is given no users.
var DefaultUser = User{Name: "support@maison-lumiere.example", Password: "dovecot-test-pass"}

// Server is a running private Dovecot.
type Server struct {
	// Addr is the IMAP listener, "127.0.0.1:port", plaintext.
	Addr string
	// Dir holds the configuration, logs and mail.
	Dir   string
	Users []User

	cmd     *exec.Cmd
	done    chan struct{}
	stopped bool
}

// Config customizes a server started with StartConfig.
type Config struct {
	// Users are the accounts; empty means DefaultUser.
	Users []User
	// Extra is appended to the generated dovecot.conf, e.g.
	// "imap_capability = IMAP4rev1 LITERAL+" to hide extensions.
	Extra string
	// OAuth2IntrospectionURL, when set, lets users log in with OAuth 2
	// access tokens (XOAUTH2, OAUTHBEARER) too: Dovecot's oauth2 passdb
	// asks this RFC 7662 introspection endpoint whether a token is
	// active and whose it is. Passwords keep working.
	OAuth2IntrospectionURL string
	// RawLog records what every IMAP session sends and receives, so a
	// test can read the commands a client issued (Commands).
	RawLog bool
}

// Start runs a Dovecot for the test and stops it at cleanup. When the
// dovecot binary is not installed (scripts/install-dovecot.sh installs it)
// the test is skipped, or fails under the test script
// (INBOXKIT_TEST_REQUIRE_SERVICES, see internal/testenv).
func Start(t testing.TB, users ...User) *Server {
	t.Helper()
	return StartConfig(t, Config{Users: users})
}

// StartConfig is Start with settings.
func StartConfig(t testing.TB, cfg Config) *Server {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		testenv.Missing(t, "dovecot not installed at %s (run scripts/install-dovecot.sh): %v", Binary, err)
	}
	users := cfg.Users
	if len(users) == 0 {
		users = []User{DefaultUser}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(t.TempDir(), users, cfg)
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("start dovecot: %v", lastErr)
	return nil
}

func start(dir string, users []User, cfg Config) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Dir: dir, Users: users, done: make(chan struct{})}
	ids, err := accounts()
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"run", "state", "mail"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	// Dovecot runs every process below the parent directories: they must
	// be traversable by its unprivileged users.
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			_ = os.Chmod(d, fi.Mode().Perm()|0o011)
		}
	}
	var passwd strings.Builder
	for _, u := range users {
		if strings.ContainsAny(u.Name+u.Password, ":\n") {
			return nil, fmt.Errorf("user %q: names and passwords must not contain ':' or newlines", u.Name)
		}
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s::::::\n", u.Name, u.Password)
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd.String()), 0o644); err != nil {
		return nil, err
	}
	conf := config(dir, port, ids)
	if cfg.OAuth2IntrospectionURL != "" {
		if strings.ContainsAny(cfg.OAuth2IntrospectionURL, " \n") {
			return nil, fmt.Errorf("introspection URL %q must not contain spaces or newlines", cfg.OAuth2IntrospectionURL)
		}
		// The username the token belongs to must be the one logging in.
		oauth2 := "introspection_mode = post\nintrospection_url = " + cfg.OAuth2IntrospectionURL +
			"\nforce_introspection = yes\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n"
		if err := os.WriteFile(filepath.Join(dir, "oauth2.conf.ext"), []byte(oauth2), 0o644); err != nil {
			return nil, err
		}
		conf += "auth_mechanisms = plain login xoauth2 oauthbearer\npassdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = " +
			filepath.Join(dir, "oauth2.conf.ext") + "\n}\n"
	}
	if cfg.RawLog {
		rawlog := filepath.Join(dir, "rawlog")
		if err := os.Mkdir(rawlog, 0o700); err != nil {
			return nil, err
		}
		if ids.root {
			if err := os.Chown(rawlog, ids.mailUID, ids.mailGID); err != nil {
				return nil, err
			}
		}
		conf += "rawlog_dir = " + rawlog + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "dovecot.conf"), []byte(conf+cfg.Extra+"\n"), 0o644); err != nil {
		return nil, err
	}
	if ids.root {
		if err := os.Chown(filepath.Join(dir, "mail"), ids.mailUID, ids.mailGID); err != nil {
			return nil, err
		}
	}
	s.cmd = exec.Command(Binary, "-F", "-c", filepath.Join(dir, "dovecot.conf"))
	log, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		return nil, err
	}
	s.cmd.Stdout, s.cmd.Stderr = log, log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("run %s: %w", Binary, err)
	}
	go func() {
		_ = s.cmd.Wait()
		log.Close()
		close(s.done)
	}()
	if err := s.waitReady(15 * time.Second); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w\n%s", err, s.Logs())
	}
	return s, nil
}

// waitReady waits for the IMAP greeting.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("dovecot exited during startup")
		default:
		}
		conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			line, err := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if err == nil && strings.HasPrefix(line, "* OK") {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("dovecot did not answer on %s within %s", s.Addr, timeout)
}

// Stop terminates the server and waits for it to exit.
func (s *Server) Stop() {
	if s.stopped || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.stopped = true
	// The master forwards the signal to its children.
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// Logs returns the server's log, for failure messages.
func (s *Server) Logs() string {
	var b strings.Builder
	for _, name := range []string{"stderr.log", "dovecot.log"} {
		if data, err := os.ReadFile(filepath.Join(s.Dir, name)); err == nil {
			b.Write(data)
		}
	}
	return b.String()
}

// MailDir returns the maildir of a user.
func (s *Server) MailDir(name string) string { return filepath.Join(s.Dir, "mail", name) }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ids are the system accounts the server's processes run as.
type ids struct {
	root                bool
	internalUser        string
	loginUser           string
	mailUID, mailGID    int
	currentUser, currGr string
}

// accounts picks the accounts: as root, Dovecot's own unprivileged users
// (mail is never accessed as root); otherwise everything runs as the
// current user.
func accounts() (ids, error) {
	cur, err := user.Current()
	if err != nil {
		return ids{}, err
	}
	if cur.Uid != "0" {
		uid, _ := strconv.Atoi(cur.Uid)
		gid, _ := strconv.Atoi(cur.Gid)
		g, err := user.LookupGroupId(cur.Gid)
		group := cur.Gid
		if err == nil {
			group = g.Name
		}
		return ids{internalUser: cur.Username, loginUser: cur.Username, mailUID: uid, mailGID: gid, currentUser: cur.Username, currGr: group}, nil
	}
	internal, loginUser := "dovecot", "dovenull"
	u, err := user.Lookup(internal)
	if err != nil {
		return ids{}, fmt.Errorf("user %q (created by the dovecot package): %w", internal, err)
	}
	if _, err := user.Lookup(loginUser); err != nil {
		loginUser = internal
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return ids{root: true, internalUser: internal, loginUser: loginUser, mailUID: uid, mailGID: gid}, nil
}

func config(dir string, port int, id ids) string {
	chroot := ""
	if id.root {
		chroot = "login"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# Private Dovecot for inboxkit integration tests.
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
instance_name = inboxkit-%[2]d
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = %[3]s
default_login_user = %[4]s
first_valid_uid = %[5]d
last_valid_uid = 0
first_valid_gid = %[6]d
mail_location = maildir:%[1]s/mail/%%u
mail_uid = %[5]d
mail_gid = %[6]d
mail_max_userip_connections = 1000
mail_fsync = never
maildir_very_dirty_syncs = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[5]d gid=%[6]d home=%[1]s/mail/%%u
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \Sent
    auto = create
  }
  mailbox Drafts {
    special_use = \Drafts
    auto = create
  }
  mailbox Trash {
    special_use = \Trash
    auto = create
  }
}
service imap-login {
  chroot = %[7]s
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
  process_min_avail = 1
}
service anvil {
  chroot =
}
service pop3-login {
  chroot =
}
service submission-login {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`, dir, port, id.internalUser, id.loginUser, id.mailUID, id.mailGID, chroot)
	if !id.root {
		fmt.Fprintf(&b, `service auth {
  user = %[1]s
}
service auth-worker {
  user = %[1]s
}
`, id.currentUser)
	}
	return b.String()
}
