package oauthtest

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// CheckFunc accepts or refuses an access token presented for user
// (AuthServer.Check).
type CheckFunc func(user, token string) error

// IMAPServer is go-imap's in-memory server with one mailbox (INBOX and
// Sent) whose owner logs in with an access token (XOAUTH2, OAUTHBEARER),
// or with Password for the test's own setup client.
type IMAPServer struct {
	// Addr is the loopback "host:port".
	Addr string
	// User and Password are the mailbox owner's.
	User, Password string
	// Mechanisms, when set before clients connect, replaces the SASL
	// mechanisms offered (XOAUTH2, OAUTHBEARER, PLAIN).
	Mechanisms []string

	user  *imapmemserver.User
	check CheckFunc
}

// NewIMAPServer starts an IMAPServer for user; it stops when the test ends.
func NewIMAPServer(t testing.TB, user string, check CheckFunc) *IMAPServer {
	t.Helper()
	s := &IMAPServer{User: user, Password: random(), check: check}
	s.user = imapmemserver.NewUser(user, s.Password)
	for _, name := range []string{"INBOX", "Sent"} {
		if err := s.user.Create(name, nil); err != nil {
			t.Fatal(err)
		}
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{srv: s}, nil, nil
		},
		InsecureAuth: true,
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.Addr = ln.Addr().String()
	return s
}

// Deliver appends a message to INBOX.
func (s *IMAPServer) Deliver(t testing.TB, raw []byte) {
	t.Helper()
	r := strings.NewReader(string(raw))
	if _, err := s.user.Append("INBOX", literal{r, int64(len(raw))}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

type literal struct {
	io.Reader
	size int64
}

func (l literal) Size() int64 { return l.size }

// imapSession logs the mailbox owner in with a checked token.
type imapSession struct {
	*imapmemserver.UserSession // nil until logged in
	srv                        *IMAPServer
}

var _ imapserver.SessionSASL = (*imapSession)(nil)

func (s *imapSession) Login(username, password string) error {
	if username != s.srv.User || password != s.srv.Password {
		return imapserver.ErrAuthFailed
	}
	s.UserSession = imapmemserver.NewUserSession(s.srv.user)
	return nil
}

func (s *imapSession) AuthenticateMechanisms() []string {
	if s.srv.Mechanisms != nil {
		return s.srv.Mechanisms
	}
	return []string{"XOAUTH2", sasl.OAuthBearer, sasl.Plain}
}

func (s *imapSession) Authenticate(mech string) (sasl.Server, error) {
	refused := &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Invalid credentials"}
	login := func(user, token string) error {
		if err := s.srv.check(user, token); err != nil || user != s.srv.User {
			return refused
		}
		s.UserSession = imapmemserver.NewUserSession(s.srv.user)
		return nil
	}
	switch mech {
	case "XOAUTH2", sasl.OAuthBearer:
		return &bearerServer{check: login, refused: refused}, nil
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, username, password string) error { return s.Login(username, password) }), nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
}

// bearerServer is the server side of XOAUTH2 and OAUTHBEARER: a refused
// token gets a JSON error challenge, and the refusal follows the client's
// answer to it.
type bearerServer struct {
	check   func(user, token string) error
	refused error
	failed  bool
}

func (x *bearerServer) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, x.refused
	}
	var user, token string
	for _, kv := range strings.Split(string(resp), "\x01") {
		if v, ok := strings.CutPrefix(kv, "user="); ok {
			user = v // XOAUTH2
		}
		if gs2, ok := strings.CutPrefix(kv, "n,a="); ok { // OAUTHBEARER
			authz, _, _ := strings.Cut(gs2, ",")
			user = strings.NewReplacer("=2C", ",", "=3D", "=").Replace(authz)
		}
		if v, ok := strings.CutPrefix(kv, "auth=Bearer "); ok {
			token = v
		}
	}
	if err := x.check(user, token); err != nil {
		x.failed, x.refused = true, err
		challenge, _ := json.Marshal(map[string]string{"status": "401", "schemes": "Bearer", "scope": "https://mail.example/"})
		return challenge, false, nil
	}
	return nil, true, nil
}

// SMTPServer is a go-smtp server on loopback that accepts mail from a user
// logged in with an access token (XOAUTH2, OAUTHBEARER) and records it.
type SMTPServer struct {
	// Addr is the loopback "host:port".
	Addr string
	// Mechanisms, when set before clients connect, replaces the SASL
	// mechanisms offered (XOAUTH2, OAUTHBEARER).
	Mechanisms []string

	user  string
	check CheckFunc
	mu    sync.Mutex
	mail  [][]byte
}

// NewSMTPServer starts an SMTPServer for user; it stops when the test ends.
func NewSMTPServer(t testing.TB, user string, check CheckFunc) *SMTPServer {
	t.Helper()
	s := &SMTPServer{user: user, check: check}
	srv := smtp.NewServer(smtpBackend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.Addr = ln.Addr().String()
	return s
}

// Received returns the messages accepted so far.
func (s *SMTPServer) Received() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.mail...)
}

type smtpBackend struct{ s *SMTPServer }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: b.s}, nil }

type smtpSession struct {
	srv  *SMTPServer
	auth bool
}

var errSMTPRefused = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}

func (s *smtpSession) AuthMechanisms() []string {
	if s.srv.Mechanisms != nil {
		return s.srv.Mechanisms
	}
	return []string{"XOAUTH2", sasl.OAuthBearer}
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	login := func(user, token string) error {
		if err := s.srv.check(user, token); err != nil || user != s.srv.user {
			return errSMTPRefused
		}
		s.auth = true
		return nil
	}
	switch mech {
	case "XOAUTH2", sasl.OAuthBearer:
		return &bearerServer{check: login, refused: errSMTPRefused}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	s.srv.mail = append(s.srv.mail, b)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }
