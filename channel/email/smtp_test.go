package email

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/inboxkit/inboxkit/inbox"
)

// smtpServer is a go-smtp server on loopback that records what it
// receives.
type smtpServer struct {
	addr string
	mu   sync.Mutex
	mail []receivedMail
	// rcptErr, when set, is returned for every RCPT.
	rcptErr error
}

type receivedMail struct {
	from string
	to   []string
	data []byte
}

const (
	smtpUser     = "support@maison-lumiere.example"
	smtpPassword = "s3cret-pass"
	oauthToken   = "ya29.token"
)

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	srv := &smtpServer{}
	s := smtp.NewServer(srv)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv.addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return srv
}

func (s *smtpServer) received() []receivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receivedMail(nil), s.mail...)
}

func (s *smtpServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{srv: s}, nil
}

type smtpSession struct {
	srv  *smtpServer
	auth bool
	cur  receivedMail
}

var errBadCredentials = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain, "XOAUTH2"} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech == "XOAUTH2" {
		return xoauth2Server(func(user, token string) error {
			if user != smtpUser || token != oauthToken {
				return errBadCredentials
			}
			s.auth = true
			return nil
		}), nil
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != smtpUser || password != smtpPassword {
			return errBadCredentials
		}
		s.auth = true
		return nil
	}), nil
}

// xoauth2Server checks an XOAUTH2 initial response.
type xoauth2Server func(user, token string) error

func (f xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	var user, token string
	for _, kv := range strings.Split(string(resp), "\x01") {
		if v, ok := strings.CutPrefix(kv, "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(kv, "auth=Bearer "); ok {
			token = v
		}
	}
	return nil, true, f(user, token)
}

func (s *smtpSession) Mail(from string, opts *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	s.cur = receivedMail{from: from}
	return nil
}

func (s *smtpSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	if s.srv.rcptErr != nil {
		return s.srv.rcptErr
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.srv.mu.Lock()
	s.srv.mail = append(s.srv.mail, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

func newSMTPChannel(t *testing.T, addr string, auth Auth, mutate func(*Options)) *Channel {
	t.Helper()
	o := Options{
		IntegrationID: "mail1", Tenant: "t1",
		SMTP:      Server{Addr: addr, Security: SecurityPlain},
		Auth:      auth,
		Addresses: []string{"support@maison-lumiere.example"}, FromName: "Maison Lumière",
		ReplyToken: true,
	}
	if mutate != nil {
		mutate(&o)
	}
	ch, err := New(o)
	require.NoError(t, err)
	return ch
}

// sampleOutbound is a human reply in a conversation started by a customer.
func sampleOutbound(blobs inbox.BlobStore) inbox.Outbound {
	customer := inbox.Message{
		Direction: inbox.DirectionIn, MessageID: "cust-2@gmail.example",
		References: []string{"cust-1@gmail.example", "ours-1@maison-lumiere.example"},
		From:       inbox.Party{Email: "elodie@gmail.example"},
	}
	return inbox.Outbound{
		Message: inbox.Message{
			ID: "01hzz", Author: inbox.AuthorAgent, Direction: inbox.DirectionOut,
			From:      inbox.Party{Email: "support@maison-lumiere.example", Name: "Maison Lumière"},
			To:        []inbox.Party{{Name: "Élodie Garnier", Email: "elodie@gmail.example"}},
			Subject:   "Re: Retour d'un article abîmé",
			MessageID: "0123456789abcdefghjkmnpqrs@maison-lumiere.example",
			Text:      "Bonjour Élodie,\n\nVoici l'étiquette de retour.\n",
			HTML:      "<p>Bonjour Élodie,</p><p>Voici l'étiquette de retour.</p>",
		},
		Conversation:   inbox.Conversation{ID: "c1", Subject: "Retour d'un article abîmé"},
		Contact:        inbox.Contact{Name: "Élodie Garnier", Emails: []string{"elodie@gmail.example"}},
		Thread:         []inbox.Message{customer},
		IdempotencyKey: "01hzz",
		Blobs:          blobs,
	}
}

func TestSendReplyThreadsInTheCustomersClient(t *testing.T) {
	srv := startSMTP(t)
	ch := newSMTPChannel(t, srv.addr, Auth{Username: smtpUser, Password: smtpPassword}, nil)
	blobs := newMemBlobs()
	_, err := blobs.Put(context.Background(), "t1/attachment/label", strings.NewReader("%PDF-1.4 label"))
	require.NoError(t, err)
	out := sampleOutbound(blobs)
	out.Message.InReplyTo = "cust-2@gmail.example"
	out.Message.References = []string{"cust-1@gmail.example", "ours-1@maison-lumiere.example", "cust-2@gmail.example"}
	out.Message.Attachments = []inbox.Attachment{{Filename: "../étiquette retour.pdf", ContentType: "application/pdf", BlobKey: "t1/attachment/label"}}

	id, err := ch.Send(context.Background(), out)
	require.NoError(t, err)
	require.Equal(t, "0123456789abcdefghjkmnpqrs@maison-lumiere.example", id)

	mails := srv.received()
	require.Len(t, mails, 1)
	require.Equal(t, "support@maison-lumiere.example", mails[0].from)
	require.Equal(t, []string{"elodie@gmail.example"}, mails[0].to)

	// Read it back as the customer's client would.
	p, err := NewParser(ParseOptions{Tenant: "t1", Blobs: newMemBlobs(), DiscardRaw: true})
	require.NoError(t, err)
	got, err := p.Parse(context.Background(), bytes.NewReader(mails[0].data))
	require.NoError(t, err)
	in := got.Inbound
	require.Equal(t, "Re: Retour d'un article abîmé", in.Subject)
	require.Equal(t, "Maison Lumière", in.From.Name)
	require.Equal(t, id, in.MessageID)
	require.Equal(t, "cust-2@gmail.example", in.InReplyTo)
	require.Equal(t, []string{"cust-1@gmail.example", "ours-1@maison-lumiere.example", "cust-2@gmail.example"}, in.References)
	require.Equal(t, []inbox.Party{{Name: "Maison Lumière", Email: "support+0123456789abcdefghjkmnpqrs@maison-lumiere.example"}}, in.ReplyTo)
	require.Contains(t, in.Text, "Voici l'étiquette de retour.")
	require.Contains(t, in.HTML, "<p>Bonjour Élodie,</p>")
	require.False(t, in.Automated, "a human reply is not automated: %v", got.Detection.Signals)
	require.Len(t, in.Attachments, 1)
	require.Equal(t, "étiquette retour.pdf", in.Attachments[0].Filename)
	require.Equal(t, int64(len("%PDF-1.4 label")), in.Attachments[0].Size)
	require.Contains(t, string(mails[0].data), "multipart/alternative")
}

func TestSendDerivesThreadingFromTheConversation(t *testing.T) {
	srv := startSMTP(t)
	ch := newSMTPChannel(t, srv.addr, Auth{Username: smtpUser, Password: smtpPassword}, nil)
	out := sampleOutbound(nil)
	out.Message.MessageID, out.Message.Subject, out.Message.HTML = "", "", ""
	id1, err := ch.Send(context.Background(), out)
	require.NoError(t, err)
	id2, err := ch.Send(context.Background(), out)
	require.NoError(t, err)
	require.Equal(t, id1, id2, "a retried outbox entry keeps its Message-ID")
	require.True(t, strings.HasSuffix(id1, "@maison-lumiere.example"), id1)

	p, _ := NewParser(ParseOptions{})
	got, err := p.Parse(context.Background(), bytes.NewReader(srv.received()[0].data))
	require.NoError(t, err)
	require.Equal(t, "Re: Retour d'un article abîmé", got.Inbound.Subject)
	require.Equal(t, "cust-2@gmail.example", got.Inbound.InReplyTo)
	require.Equal(t, []string{"cust-1@gmail.example", "ours-1@maison-lumiere.example", "cust-2@gmail.example"}, got.Inbound.References)
	require.Contains(t, string(srv.received()[0].data), "Content-Type: text/plain")
}

func TestSendAutoReplyIsMarkedAutoSubmitted(t *testing.T) {
	srv := startSMTP(t)
	ch := newSMTPChannel(t, srv.addr, Auth{Username: smtpUser, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: oauthToken})}, nil)
	out := sampleOutbound(nil)
	out.Message.Author = inbox.AuthorAutoReply
	_, err := ch.Send(context.Background(), out)
	require.NoError(t, err, "XOAUTH2 login")
	p, _ := NewParser(ParseOptions{})
	got, err := p.Parse(context.Background(), bytes.NewReader(srv.received()[0].data))
	require.NoError(t, err)
	require.True(t, got.Inbound.Automated, "other responders must recognise our auto-reply")
	require.Equal(t, "auto-submitted: auto-replied", got.Inbound.AutomatedReason)
	raw := string(srv.received()[0].data)
	for _, h := range []string{"Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All", "Precedence: auto_reply", "X-Autoreply: yes"} {
		require.Contains(t, raw, h, "older responders know only some of the conventions")
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		auth      Auth
		rcptErr   error
		wantIs    error
		wantNotIs error
		msg       string
	}{
		{name: "wrong password", auth: Auth{Username: smtpUser, Password: "wrong"}, wantIs: inbox.ErrUnauthorized, msg: "check the username and password"},
		{name: "wrong token", auth: Auth{Username: smtpUser, Tokens: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "expired"})}, wantIs: inbox.ErrUnauthorized},
		{name: "mailbox busy", auth: Auth{Username: smtpUser, Password: smtpPassword},
			rcptErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}, wantIs: inbox.ErrTemporary},
		{name: "no such user", auth: Auth{Username: smtpUser, Password: smtpPassword},
			rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, wantNotIs: inbox.ErrTemporary, msg: "550"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t)
			srv.rcptErr = tt.rcptErr
			ch := newSMTPChannel(t, srv.addr, tt.auth, nil)
			_, err := ch.Send(context.Background(), sampleOutbound(nil))
			require.Error(t, err)
			if tt.wantIs != nil {
				require.ErrorIs(t, err, tt.wantIs)
			}
			if tt.wantNotIs != nil {
				require.False(t, errors.Is(err, tt.wantNotIs), "%v", err)
			}
			require.Contains(t, err.Error(), tt.msg)
			require.NotContains(t, err.Error(), smtpPassword)
			require.NotContains(t, err.Error(), "expired")
		})
	}
	t.Run("server down", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close()
		ch := newSMTPChannel(t, addr, Auth{}, nil)
		_, err = ch.Send(context.Background(), sampleOutbound(nil))
		require.ErrorIs(t, err, inbox.ErrTemporary)
	})
}

func TestReplyTokenResolvesToTheConversation(t *testing.T) {
	ch := newSMTPChannel(t, "127.0.0.1:25", Auth{}, nil)
	in := inbox.Inbound{To: []inbox.Party{{Email: "support+0123456789abcdefghjkmnpqrs@maison-lumiere.example"}}}
	ch.resolveReplyToken(&in)
	require.Equal(t, "0123456789abcdefghjkmnpqrs@maison-lumiere.example", in.InReplyTo)

	in = inbox.Inbound{InReplyTo: "other@x.example", Cc: []inbox.Party{{Email: "support+0123456789abcdefghjkmnpqrs@maison-lumiere.example"}}}
	ch.resolveReplyToken(&in)
	require.Equal(t, []string{"0123456789abcdefghjkmnpqrs@maison-lumiere.example"}, in.References)

	in = inbox.Inbound{To: []inbox.Party{{Email: "someone+0123456789abcdefghjkmnpqrs@elsewhere.example"}}}
	ch.resolveReplyToken(&in)
	require.Empty(t, in.InReplyTo, "only our own addresses carry tokens")
}

func TestNewRefusesClearTextToRemoteServers(t *testing.T) {
	_, err := New(Options{IntegrationID: "m", IMAP: Server{Addr: "imap.example.com:143", Security: SecurityPlain}})
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.Contains(t, err.Error(), "loopback")
	_, err = New(Options{IntegrationID: "m", IMAP: Server{Addr: "[::1]:143", Security: SecurityPlain}})
	require.NoError(t, err)
	_, err = New(Options{IntegrationID: "m", IMAP: Server{Addr: "imap.example.com:993", Security: "ssl3"}})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

func TestSecretNeverFormats(t *testing.T) {
	a := Auth{Username: "u", Password: "hunter2"}
	for _, s := range []string{
		strings.Join([]string{a.Password.String()}, ""),
		sprintAll(a), sprintAll(&a),
	} {
		require.NotContains(t, s, "hunter2")
	}
}

func TestSendCopiesCcInHeadersAndBccOnlyInTheEnvelope(t *testing.T) {
	srv := startSMTP(t)
	ch := newSMTPChannel(t, srv.addr, Auth{Username: smtpUser, Password: smtpPassword}, nil)
	out := sampleOutbound(nil)
	out.Message.Cc = []inbox.Party{{Email: "compta@gmail.example"}}
	out.Message.Bcc = []inbox.Party{{Email: "archive@maison-lumiere.example"}}
	_, err := ch.Send(context.Background(), out)
	require.NoError(t, err)
	mails := srv.received()
	require.Len(t, mails, 1)
	require.Equal(t, []string{"elodie@gmail.example", "compta@gmail.example", "archive@maison-lumiere.example"}, mails[0].to)
	raw := string(mails[0].data)
	require.Contains(t, raw, "compta@gmail.example")
	require.NotContains(t, raw, "archive@maison-lumiere.example", "a blind copy is never in the headers")
}
