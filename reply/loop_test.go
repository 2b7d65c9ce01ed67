package reply_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/internal/corpus"
	"github.com/inboxkit/inboxkit/reply"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

// Every automated mail of the shared corpus (out-of-office, lists,
// newsletters, notifications, bounces, receipts), parsed by the email
// channel and ingested into a folder that answers automatically, gets no
// generation and no send.
func TestAutomatedCorpusMailGetsNoAutoReply(t *testing.T) {
	dir, cases := corpus.Manifest(t)
	e := newEnv(t, envOptions{folder: "Tout", mode: inbox.AutoReplyAuto}, func(chatCall) modelAnswer {
		return answer("Bonjour, merci pour votre message.", 0.9)
	})
	parser, err := email.NewParser(email.ParseOptions{OwnAddresses: []string{"support@maison-lumiere.example"}})
	require.NoError(t, err)
	automated := 0
	for _, c := range cases {
		if !c.Automated {
			continue
		}
		automated++
		raw, err := os.ReadFile(filepath.Join(dir, c.File))
		require.NoError(t, err, c.File)
		p, err := parser.Parse(e.ctx, bytes.NewReader(raw))
		require.NoError(t, err, c.File)
		in := p.Inbound
		in.IntegrationID, in.ProviderID = e.mail.ID, c.File
		res, err := e.eng.Ingest(e.ctx, tenantID, []inbox.Inbound{in})
		require.NoError(t, err, c.File)
		require.Equal(t, inbox.IngestStored, res.Items[0].Status, c.File)
	}
	require.GreaterOrEqual(t, automated, 10, "the corpus has its automated mail")
	e.deliver()
	require.Empty(t, e.api.calls(), "no generation for automated mail")
	require.Empty(t, e.sender.outbound(), "nothing sent")

	// the same engine does answer a person, so the zero above is the guard
	e.email("human", "camille.martin@courriel.example", "Camille", "Question sur une lampe", "Bonjour, la lampe Arc existe-t-elle en noir ?")
	e.deliver()
	require.Len(t, e.sender.outbound(), 1)
}

// mailRelay is a go-smtp server standing for the internet between two
// companies: it accepts every message and keeps it for its recipient's
// mailbox, as IMAP would, until the test picks it up.
type mailRelay struct {
	addr string
	mu   sync.Mutex
	box  map[string][][]byte // recipient domain -> raw messages
	// strip lists headers removed in transit (a forwarder that drops
	// them), to exercise the engine's guard without RFC 3834 help.
	strip []string
	// rcptErr, when set, refuses every recipient; attempts counts them.
	rcptErr  error
	attempts int
	// rewrite, when set, changes each message in transit.
	rewrite func(raw []byte) []byte
}

func startRelay(t *testing.T, strip ...string) *mailRelay {
	t.Helper()
	r := &mailRelay{box: map[string][][]byte{}, strip: strip}
	s := smtp.NewServer(r)
	s.Domain = "relay.example"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r.addr = ln.Addr().String()
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return r
}

func (r *mailRelay) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }

// take returns and forgets the mail waiting for domain.
func (r *mailRelay) take(domain string) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.box[domain]
	delete(r.box, domain)
	return out
}

type relaySession struct {
	r   *mailRelay
	rcp []string
}

func (s *relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.attempts++
	if s.r.rcptErr != nil {
		return s.r.rcptErr
	}
	s.rcp = append(s.rcp, to)
	return nil
}
func (s *relaySession) Reset()        { s.rcp = nil }
func (s *relaySession) Logout() error { return nil }
func (s *relaySession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	for _, h := range s.r.strip {
		raw = regexp.MustCompile(`(?mi)^`+regexp.QuoteMeta(h)+`:.*\r?\n`).ReplaceAll(raw, nil)
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.r.rewrite != nil {
		raw = s.r.rewrite(raw)
	}
	for _, to := range s.rcp {
		_, domain, _ := strings.Cut(strings.ToLower(to), "@")
		s.r.box[domain] = append(s.r.box[domain], raw)
	}
	return nil
}

// company is one inboxkit instance with its own store, a mailbox sending
// through the relay, a folder answering every mail automatically, and
// its own model.
type company struct {
	t       *testing.T
	clock   *testClock
	address string
	domain  string
	eng     *inbox.Engine
	api     *fakeAPI
	mailbox inbox.Integration
	parser  *email.Parser
	seq     int
	inbound []inbox.Inbound // parsed mail received, in order
	store   *memstore.Store
}

func newCompany(t *testing.T, relay *mailRelay, name, address string) *company {
	t.Helper()
	ctx := context.Background()
	c := &company{t: t, address: address, clock: &testClock{now: time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC)}}
	_, c.domain, _ = strings.Cut(address, "@")
	c.api = newFakeAPI(t, func(chatCall) modelAnswer {
		return answer("Bonjour, merci pour votre message, nous revenons vers vous rapidement. — "+name, 0.8)
	})
	store := memstore.New()
	c.store = store
	require.NoError(t, store.CreateTenant(ctx, &inbox.Tenant{ID: tenantID, Name: name,
		Settings: inbox.TenantSettings{ReplyPrompt: "Réponds poliment au nom de " + name + "."}}))
	ai, err := reply.NewAI(reply.AIOptions{ClientOptions: c.api.client(), Model: "m"})
	require.NoError(t, err)
	folder := inbox.Folder{Name: "Boîte", AutoReply: inbox.AutoReplySettings{Mode: inbox.AutoReplyAuto}}
	host, port, err := net.SplitHostPort(relay.addr)
	require.NoError(t, err)
	c.mailbox = inbox.Integration{Kind: inbox.SourceEmail, Name: "mail", Enabled: true, Config: map[string]string{
		email.ConfigSMTPHost: host, email.ConfigSMTPPort: port, email.ConfigSMTPSecurity: "plain",
		email.ConfigAddress: address, email.ConfigDisplayName: name,
	}}
	require.NoError(t, store.Update(ctx, tenantID, func(tx driver.Tx) error {
		if err := tx.CreateFolder(&folder); err != nil {
			return err
		}
		return tx.CreateIntegration(&c.mailbox)
	}))
	c.eng, err = inbox.New(inbox.Options{
		Store: store, Responder: ai, Clock: c.clock,
		Classifier: inbox.ClassifierFunc(func(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
			return inbox.Decision{FolderID: folder.ID, By: "test"}, nil
		}),
		Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceEmail: email.Factory(email.FactoryOptions{})},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.eng.Close() })
	c.parser, err = email.NewParser(email.ParseOptions{OwnAddresses: []string{address}})
	require.NoError(t, err)
	return c
}

// receive ingests raw mail as the mailbox sync would.
func (c *company) receive(raws [][]byte) int {
	c.t.Helper()
	for _, raw := range raws {
		p, err := c.parser.Parse(context.Background(), bytes.NewReader(raw))
		require.NoError(c.t, err)
		c.seq++
		c.inbound = append(c.inbound, p.Inbound)
		in := p.Inbound
		in.IntegrationID, in.ProviderID = c.mailbox.ID, "1/INBOX/"+strconv.Itoa(c.seq)
		_, err = c.eng.Ingest(context.Background(), tenantID, []inbox.Inbound{in})
		require.NoError(c.t, err)
		_, err = c.eng.DoWork(context.Background(), tenantID) // the worker answers
		require.NoError(c.t, err)
	}
	return len(raws)
}

func (c *company) send() int {
	c.t.Helper()
	n, err := c.eng.DeliverOutbox(context.Background(), tenantID)
	require.NoError(c.t, err)
	return n
}

// autoReplies counts the automatic answers this company sent.
func (c *company) autoReplies() int {
	c.t.Helper()
	n := 0
	require.NoError(c.t, c.store.View(context.Background(), tenantID, func(tx driver.Tx) error {
		page, err := tx.ListConversations(inbox.ConversationQuery{Limit: 500})
		if err != nil {
			return err
		}
		for _, conv := range page.Items {
			msgs, err := tx.ListMessages(conv.ID)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				if m.Author == inbox.AuthorAutoReply {
					require.Equal(c.t, inbox.DeliverySent, m.Delivery)
					n++
				}
			}
		}
		return nil
	}))
	return n
}

// Two inboxkit instances that answer every mail automatically write to
// each other through a real SMTP exchange: they stop after at most one
// automatic reply each. With RFC 3834 headers intact the second one does
// not answer at all; with a forwarder that strips them, the engine's own
// rule (no second automatic reply without a person in between) ends it.
func TestTwoAutoReplyingInstancesStop(t *testing.T) {
	for _, tc := range []struct {
		name         string
		strip        []string
		wantA, wantB int
	}{
		{"headers intact", nil, 1, 0},
		{"forwarder strips the automation headers", []string{"Auto-Submitted", "X-Auto-Response-Suppress", "Precedence", "X-Autoreply"}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			relay := startRelay(t, tc.strip...)
			a := newCompany(t, relay, "Maison Lumière", "support@maison-lumiere.example")
			b := newCompany(t, relay, "Atelier Verre", "contact@atelier-verre.example")

			// An employee of B writes to A from an ordinary mail client.
			first := fmt.Sprintf("From: Léa <%s>\r\nTo: <%s>\r\nSubject: Partenariat verrerie\r\nMessage-ID: <first@atelier-verre.example>\r\n"+
				"Date: Mon, 16 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
				"Bonjour, seriez-vous intéressés par nos abat-jour en verre soufflé ?\r\n", b.address, a.address)
			a.receive([][]byte{[]byte(first)})

			rounds := 0
			for ; rounds < 10; rounds++ {
				moved := a.send() + b.send()
				moved += b.receive(relay.take(b.domain))
				moved += a.receive(relay.take(a.domain))
				if moved == 0 {
					break
				}
			}
			require.Less(t, rounds, 10, "the exchange settles")
			require.Equal(t, tc.wantA, a.autoReplies())
			require.Equal(t, tc.wantB, b.autoReplies())
			require.Equal(t, tc.wantA, len(a.api.calls()), "no generation beyond the replies sent")
			require.Equal(t, tc.wantB, len(b.api.calls()))

			// the answers really crossed the SMTP relay and were parsed
			require.Len(t, b.inbound, 1, "B received A's automatic reply")
			got := b.inbound[0]
			require.Equal(t, a.address, got.From.Email)
			require.Equal(t, "first@atelier-verre.example", got.InReplyTo)
			require.Equal(t, tc.strip == nil, got.Automated, "Auto-Submitted marks it automated unless stripped")
			require.Len(t, a.inbound, 1+tc.wantB)
		})
	}
}

// A send that keeps failing (the relay answers 451) is retried with
// backoff up to the limit and then marked failed on the message; the reply
// is never generated again.
func TestPermanentlyFailingSendStopsAfterRetryLimit(t *testing.T) {
	relay := startRelay(t)
	relay.rcptErr = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Mailbox temporarily unavailable"}
	a := newCompany(t, relay, "Maison Lumière", "support@maison-lumiere.example")
	a.receive([][]byte{[]byte("From: Camille <camille.martin@courriel.example>\r\nTo: <support@maison-lumiere.example>\r\n" +
		"Subject: Lampe Arc\r\nMessage-ID: <arc@courriel.example>\r\nDate: Mon, 16 Mar 2026 09:00:00 +0000\r\n\r\nBonjour, la lampe Arc est-elle en stock ?\r\n")})
	for range 30 {
		a.send()
		a.clock.Advance(2 * time.Hour)
	}
	relay.mu.Lock()
	attempts := relay.attempts
	relay.mu.Unlock()
	require.Equal(t, inbox.DefaultOutboxMaxAttempts, attempts)
	require.Equal(t, 1, len(a.api.calls()), "a failed send never re-runs generation")
	require.NoError(t, a.store.View(context.Background(), tenantID, func(tx driver.Tx) error {
		failed, err := tx.ListOutbox(inbox.OutboxQuery{Status: inbox.OutboxFailed})
		require.NoError(t, err)
		require.Len(t, failed, 1)
		m, err := tx.GetMessage(failed[0].MessageID)
		require.NoError(t, err)
		require.Equal(t, inbox.AuthorAutoReply, m.Author)
		require.Equal(t, inbox.DeliveryFailed, m.Delivery)
		require.Contains(t, m.DeliveryError, "451")
		return nil
	}))
}

// A helpdesk bot on the other side answers every message, stripping every
// automation and threading header, and writes from a new per-ticket
// address each time (contact+t17@...): no message threads, every one is
// a new contact, so only rate limits by address and domain can stop the
// loop. Each side sends at most three automatic replies; the inbox whose
// counterpart rotates addresses pauses its auto-replies and says so.
func TestLoopWithAHeaderStrippingAddressRotatingBotStops(t *testing.T) {
	relay := startRelay(t, "Auto-Submitted", "X-Auto-Response-Suppress", "Precedence", "X-Autoreply", "X-Autorespond",
		"In-Reply-To", "References", "Reply-To", "Thread-Index", "Thread-Topic", "List-Id", "List-Unsubscribe")
	a := newCompany(t, relay, "Maison Lumière", "support@maison-lumiere.example")
	b := newCompany(t, relay, "Atelier Verre", "contact@atelier-verre.example")
	ticket := 0
	relay.rewrite = func(raw []byte) []byte {
		if !bytes.Contains(raw, []byte("<contact@atelier-verre.example>")) {
			return raw
		}
		ticket++
		rotated := fmt.Sprintf("<contact+t%d@atelier-verre.example>", ticket)
		raw = bytes.ReplaceAll(raw, []byte("<contact@atelier-verre.example>"), []byte(rotated))
		// a new subject each time, as ticket systems do
		return regexp.MustCompile(`(?m)^Subject: .*$`).ReplaceAll(raw, []byte(fmt.Sprintf("Subject: [Ticket #%d] Nous avons bien reçu votre message\r", ticket)))
	}
	first := fmt.Sprintf("From: Léa <%s>\r\nTo: <%s>\r\nSubject: Partenariat verrerie\r\nMessage-ID: <first@atelier-verre.example>\r\n"+
		"Date: Mon, 16 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Bonjour, seriez-vous intéressés par nos abat-jour en verre soufflé ?\r\n", "contact+t0@atelier-verre.example", a.address)
	a.receive([][]byte{[]byte(first)})
	var paused []inbox.Event
	var mu sync.Mutex
	a.eng.Subscribe(func(ev inbox.Event) {
		if ev.Type == inbox.EventIntegrationPaused {
			mu.Lock()
			paused = append(paused, ev)
			mu.Unlock()
		}
	})

	rounds := 0
	for ; rounds < 40; rounds++ {
		a.clock.Advance(time.Minute)
		b.clock.Advance(time.Minute)
		moved := a.send() + b.send()
		moved += b.receive(relay.take(b.domain))
		moved += a.receive(relay.take(a.domain))
		if moved == 0 {
			break
		}
	}
	require.Less(t, rounds, 40, "the exchange settles")
	t.Logf("auto-replies: A %d, B %d, in %d rounds", a.autoReplies(), b.autoReplies(), rounds)
	require.LessOrEqual(t, a.autoReplies(), 3, "A answers the rotating bot at most three times")
	require.LessOrEqual(t, b.autoReplies(), 3)
	require.GreaterOrEqual(t, a.autoReplies(), 1, "A did answer at first")
	require.NoError(t, a.store.View(context.Background(), tenantID, func(tx driver.Tx) error {
		audit, err := tx.ListAudit(inbox.AuditQuery{Limit: 1000})
		require.NoError(t, err)
		n := 0
		for _, e := range audit {
			if e.Action == "autoreply.paused" {
				n++
				require.Contains(t, string(e.After), "atelier-verre.example")
			}
		}
		require.Equal(t, 1, n, "A paused its auto-replies once, and says why")
		return nil
	}))
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(paused) == 1 }, 10*time.Second, time.Millisecond)
}
