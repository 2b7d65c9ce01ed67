package email

import (
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/inboxkit/inboxkit/inbox"
)

// Security is how a connection to a mail server is protected.
type Security string

// Connection security modes.
const (
	// SecurityTLS is implicit TLS (IMAPS port 993, SMTPS port 465).
	SecurityTLS Security = "tls"
	// SecuritySTARTTLS upgrades a plain connection (ports 143 and 587).
	SecuritySTARTTLS Security = "starttls"
	// SecurityPlain sends everything in clear text and is refused for
	// anything but a loopback address.
	SecurityPlain Security = "plain"
)

// Server is a mail server endpoint.
type Server struct {
	// Addr is "host:port".
	Addr string
	// Security defaults to SecurityTLS when empty.
	Security Security
	// TLSConfig overrides the TLS settings; nil verifies the server
	// against the system roots with the host of Addr.
	TLSConfig *tls.Config
}

// Secret is a credential. It formats and logs as "[redacted]", so it
// never leaks through an error message or a log line.
type Secret string

// String hides the secret.
func (Secret) String() string { return "[redacted]" }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return "[redacted]" }

// LogValue hides the secret from slog.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Auth says how to log in. With Tokens set, the OAuth 2 access token it
// gives logs Username in with XOAUTH2 (Gmail, Microsoft 365), or with
// OAUTHBEARER (RFC 7628) on a server that offers only that; otherwise
// Username and Password with AUTHENTICATE PLAIN when offered, else LOGIN.
type Auth struct {
	Username string
	Password Secret
	// Tokens is asked for an access token on every connection, so it
	// should cache and refresh tokens itself (oauth2.ReuseTokenSource,
	// oauth.Source). When the server refuses a token and Tokens is a
	// TokenInvalidator, the token is invalidated and the login is tried
	// once more with a fresh one.
	Tokens oauth2.TokenSource
}

// TokenInvalidator is a token source that can be told a server refused
// one of its access tokens, so that its next Token call gets a new one
// instead of the cached token (which the provider may have revoked
// before it expired).
type TokenInvalidator interface {
	oauth2.TokenSource
	InvalidateToken(accessToken string)
}

// Options configure a Channel. IntegrationID and IMAP.Addr (to pull) or
// SMTP.Addr (to send) are required; every other zero value is documented.
type Options struct {
	// IntegrationID is the integration the channel serves. Required.
	IntegrationID string
	// Tenant prefixes the BlobStore keys of stored mail.
	Tenant inbox.TenantID
	// IMAP is the server mail is read from; empty Addr disables pulling.
	IMAP Server
	// SMTP is the server replies go through; empty Addr disables sending.
	SMTP Server
	// Auth logs in to IMAP, and to SMTP unless SMTPAuth is set.
	Auth Auth
	// SMTPAuth, when non-nil, logs in to SMTP instead of Auth. A zero
	// Auth sends without authenticating.
	SMTPAuth *Auth
	// Folders are synced besides INBOX.
	Folders []string
	// SentFolder holds the mailbox's own sent mail, synced so replies
	// written in a mail client join their conversations. Empty: found by
	// its \Sent attribute or a usual name; "-": not synced.
	SentFolder string
	// Since limits the first sync of a folder to mail received in this
	// window (e.g. 30 days). 0 fetches everything.
	Since time.Duration
	// BatchSize is how many messages are committed at once. 0 means 50.
	// They are fetched in fewer, larger commands (about 1,000 messages),
	// and each batch is committed as soon as its messages have arrived.
	BatchSize int
	// MarkSeen marks fetched mail as read on the server. Zero: mail is
	// read with BODY.PEEK[] from a read-only selection, nothing changes.
	MarkSeen bool
	// Addresses are the mailbox's own addresses, lower case. Mail from
	// them is stored as our own. The first is the default sender.
	Addresses []string
	// FromName is the display name of replies whose message has none.
	FromName string
	// MessageIDDomain is the right-hand side of generated Message-IDs.
	// Empty: the domain of Addresses[0].
	MessageIDDomain string
	// ReplyToken adds a plus-addressed Reply-To (support+<token>@domain)
	// to replies; mail sent back to it is threaded into its conversation
	// even when the customer's client drops In-Reply-To and References.
	ReplyToken bool
	// AppendSent stores a copy of every reply in the Sent folder.
	AppendSent bool
	// PollInterval is how often Watch asks for a pull when the server
	// has no IDLE, and the longest IDLE runs before it is renewed. 0
	// means one minute.
	PollInterval time.Duration
	// MaxTextBytes and MaxAttachmentBytes bound parsed mail; see
	// ParseOptions.
	MaxTextBytes       int
	MaxAttachmentBytes int64
	// Blobs keeps raw messages and attachments. Nil: attachments are
	// described but their bytes are not kept.
	Blobs inbox.BlobStore

	// Logger receives connection and sync logs. Nil discards them.
	Logger *slog.Logger
	// Dialer connects to the servers. Nil: a dialer with a 30 s timeout.
	Dialer *net.Dialer
}

// Channel is an email integration: an inbox.Puller and inbox.Watcher over
// IMAP and an inbox.Sender over SMTP. It holds no connection between
// calls and is safe for concurrent use.
type Channel struct {
	opts   Options
	parser *Parser
	sent   *Parser // marks everything as our own
	log    *slog.Logger
	domain string
}

var (
	_ inbox.Puller  = (*Channel)(nil)
	_ inbox.Watcher = (*Channel)(nil)
	_ inbox.Sender  = (*Channel)(nil)
)

// New validates opts and returns a Channel.
func New(opts Options) (*Channel, error) {
	invalid := func(field, reason string) error {
		return fmt.Errorf("email: new channel: %w", inbox.Invalid(field, reason))
	}
	if opts.IntegrationID == "" {
		return nil, invalid("Options.IntegrationID", "is required")
	}
	if opts.IMAP.Addr == "" && opts.SMTP.Addr == "" {
		return nil, invalid("Options.IMAP.Addr", "an IMAP or SMTP server is required")
	}
	for name, s := range map[string]Server{"IMAP": opts.IMAP, "SMTP": opts.SMTP} {
		if s.Addr == "" {
			continue
		}
		if err := checkServer(s); err != nil {
			return nil, invalid("Options."+name, err.Error())
		}
	}
	if opts.BatchSize < 0 || opts.Since < 0 || opts.PollInterval < 0 {
		return nil, invalid("Options", "BatchSize, Since and PollInterval must not be negative")
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = 50
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Minute
	}
	for i, a := range opts.Addresses {
		opts.Addresses[i] = inbox.NormalizeEmail(a)
		if !strings.Contains(opts.Addresses[i], "@") {
			return nil, invalid(fmt.Sprintf("Options.Addresses[%d]", i), "is not an email address")
		}
	}
	if opts.Dialer == nil {
		opts.Dialer = &net.Dialer{Timeout: 30 * time.Second}
	}
	popts := ParseOptions{
		Tenant: opts.Tenant, Blobs: opts.Blobs, OwnAddresses: opts.Addresses,
		MaxTextBytes: opts.MaxTextBytes, MaxAttachmentBytes: opts.MaxAttachmentBytes,
	}
	parser, err := NewParser(popts)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	domain := opts.MessageIDDomain
	if domain == "" && len(opts.Addresses) > 0 {
		_, domain, _ = strings.Cut(opts.Addresses[0], "@")
	}
	if domain == "" {
		domain = "inboxkit.invalid"
	}
	return &Channel{opts: opts, parser: parser, log: log.With("integration", opts.IntegrationID), domain: domain}, nil
}

// Kind is inbox.SourceEmail.
func (c *Channel) Kind() inbox.Source { return inbox.SourceEmail }

// IntegrationID is the integration this channel serves.
func (c *Channel) IntegrationID() string { return c.opts.IntegrationID }

// checkServer refuses clear-text connections to anything but loopback.
func checkServer(s Server) error {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("address %q is not host:port", s.Addr)
	}
	switch s.Security {
	case "", SecurityTLS, SecuritySTARTTLS:
		return nil
	case SecurityPlain:
		if isLoopback(host) {
			return nil
		}
		return fmt.Errorf("clear-text connections are allowed only to loopback addresses, not %q: use tls or starttls", host)
	default:
		return fmt.Errorf("security %q is not tls, starttls or plain", s.Security)
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tlsConfig returns the TLS settings for a server, naming the host for
// certificate verification.
func tlsConfig(s Server) *tls.Config {
	if s.TLSConfig != nil {
		return s.TLSConfig.Clone()
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}
