package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/inboxkit/inboxkit/inbox"
)

// Integration configuration keys read by Factory (inbox.Integration.Config).
// Secrets are read through the engine's Sealer: "password" and, when SMTP
// uses other credentials, "smtp_password".
const (
	ConfigIMAPHost        = "imap_host"
	ConfigIMAPPort        = "imap_port"     // default 993 (tls) or 143
	ConfigIMAPSecurity    = "imap_security" // tls (default), starttls, plain (loopback only)
	ConfigSMTPHost        = "smtp_host"
	ConfigSMTPPort        = "smtp_port"     // default 465 (tls) or 587
	ConfigSMTPSecurity    = "smtp_security" // tls (default), starttls, plain (loopback only)
	ConfigUsername        = "username"
	ConfigSMTPUsername    = "smtp_username"  // default: username
	ConfigAuth            = "auth"           // "password" (default) or "xoauth2"
	ConfigOAuthProvider   = "oauth_provider" // with auth=xoauth2: the provider connected ("google", "microsoft")
	ConfigAddress         = "address"        // the mailbox's address, sender of replies
	ConfigAliases         = "aliases"        // other own addresses, comma-separated
	ConfigDisplayName     = "display_name"
	ConfigMessageIDDomain = "message_id_domain"
	ConfigFolders         = "folders"     // synced besides INBOX, comma-separated
	ConfigSentFolder      = "sent_folder" // "" discovers it, "-" disables
	ConfigSinceDays       = "since_days"  // first-sync window
	ConfigBatchSize       = "batch_size"  // messages per committed batch
	ConfigMarkSeen        = "mark_seen"   // "true" marks fetched mail read
	ConfigAppendSent      = "append_sent" // "true" keeps replies in Sent
	ConfigReplyToken      = "reply_token" // "false" stops adding a plus-addressed Reply-To (on by default)
	SecretPassword        = "password"
	SecretSMTPPassword    = "smtp_password"
	// SecretOAuthRefreshToken is the OAuth 2 refresh token of a mailbox
	// connected with auth=xoauth2.
	SecretOAuthRefreshToken = "oauth_refresh_token"
)

// FactoryOptions configure the channels Factory builds.
type FactoryOptions struct {
	// Blobs keeps raw messages and attachments (usually the engine's).
	Blobs inbox.BlobStore
	// Tokens returns the OAuth 2 token source of an integration with
	// auth=xoauth2, given the integration and its sealed secrets (the
	// refresh token is one). It is called each time the channel is
	// opened, so it should hand out a cached source that keeps its access
	// token between calls. Nil: such integrations fail with
	// ErrUnsupported.
	Tokens func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (oauth2.TokenSource, error)
	// TLSConfig, when set, is used for every server (a private CA).
	TLSConfig *tls.Config
	// Logger receives channel logs. Nil discards them.
	Logger *slog.Logger
}

// Factory returns an inbox.ChannelFactory building email channels from
// integration settings (the Config* keys) and sealed secrets.
func Factory(opts FactoryOptions) inbox.ChannelFactory {
	return func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
		cfg := in.Config
		get := func(k string) string { return strings.TrimSpace(cfg[k]) }
		invalid := func(k, reason string) error {
			return fmt.Errorf("email integration %q: %w", in.ID, inbox.Invalid("config."+k, reason))
		}
		flag := func(k string) (bool, error) {
			v := get(k)
			if v == "" {
				return false, nil
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return false, invalid(k, "must be true or false")
			}
			return b, nil
		}
		server := func(hostKey, portKey, secKey string, tlsPort, plainPort int) (Server, error) {
			host := get(hostKey)
			if host == "" {
				return Server{}, nil
			}
			sec := Security(strings.ToLower(get(secKey)))
			port := tlsPort
			if sec == SecuritySTARTTLS || sec == SecurityPlain {
				port = plainPort
			}
			if p := get(portKey); p != "" {
				n, err := strconv.Atoi(p)
				if err != nil || n <= 0 || n > 65535 {
					return Server{}, invalid(portKey, "must be a port number")
				}
				port = n
			}
			return Server{Addr: net.JoinHostPort(host, strconv.Itoa(port)), Security: sec, TLSConfig: opts.TLSConfig}, nil
		}
		imapServer, err := server(ConfigIMAPHost, ConfigIMAPPort, ConfigIMAPSecurity, 993, 143)
		if err != nil {
			return nil, err
		}
		smtpServer, err := server(ConfigSMTPHost, ConfigSMTPPort, ConfigSMTPSecurity, 465, 587)
		if err != nil {
			return nil, err
		}

		auth := Auth{Username: get(ConfigUsername)}
		switch strings.ToLower(get(ConfigAuth)) {
		case "", "password":
			if auth.Username != "" {
				pw, err := secret(SecretPassword)
				if err != nil {
					return nil, err
				}
				auth.Password = Secret(pw)
			}
		case "xoauth2", "oauth2":
			if opts.Tokens == nil {
				return nil, fmt.Errorf("email integration %q: %w: no OAuth token source configured", in.ID, inbox.ErrUnsupported)
			}
			ts, err := opts.Tokens(ctx, in, secret)
			if err != nil {
				return nil, fmt.Errorf("email integration %q: %w", in.ID, err)
			}
			auth.Tokens = ts
		default:
			return nil, invalid(ConfigAuth, "must be password or xoauth2")
		}
		var smtpAuth *Auth
		if u := get(ConfigSMTPUsername); u != "" && u != auth.Username {
			a := Auth{Username: u, Tokens: auth.Tokens}
			if a.Tokens == nil {
				pw, err := secret(SecretSMTPPassword)
				if errors.Is(err, inbox.ErrNotFound) {
					pw, err = secret(SecretPassword)
				}
				if err != nil {
					return nil, err
				}
				a.Password = Secret(pw)
			}
			smtpAuth = &a
		}

		o := Options{
			IntegrationID: in.ID, Tenant: in.TenantID, IMAP: imapServer, SMTP: smtpServer,
			Auth: auth, SMTPAuth: smtpAuth, SentFolder: get(ConfigSentFolder),
			FromName: get(ConfigDisplayName), MessageIDDomain: get(ConfigMessageIDDomain),
			Blobs: opts.Blobs, Logger: opts.Logger,
		}
		if a := get(ConfigAddress); a != "" {
			o.Addresses = append(o.Addresses, a)
		}
		o.Addresses = append(o.Addresses, splitList(get(ConfigAliases))...)
		o.Folders = splitList(get(ConfigFolders))
		if d := get(ConfigSinceDays); d != "" {
			n, err := strconv.Atoi(d)
			if err != nil || n < 0 {
				return nil, invalid(ConfigSinceDays, "must be a number of days")
			}
			o.Since = time.Duration(n) * 24 * time.Hour
		}
		if b := get(ConfigBatchSize); b != "" {
			n, err := strconv.Atoi(b)
			if err != nil || n <= 0 || n > 10_000 {
				return nil, invalid(ConfigBatchSize, "must be a number between 1 and 10000")
			}
			o.BatchSize = n
		}
		if o.MarkSeen, err = flag(ConfigMarkSeen); err != nil {
			return nil, err
		}
		if o.AppendSent, err = flag(ConfigAppendSent); err != nil {
			return nil, err
		}
		// On unless turned off: replies that lost their threading headers
		// still find their conversation (and a loop with another
		// helpdesk is seen as one conversation).
		o.ReplyToken = true
		if get(ConfigReplyToken) != "" {
			if o.ReplyToken, err = flag(ConfigReplyToken); err != nil {
				return nil, err
			}
		}
		ch, err := New(o)
		if err != nil {
			return nil, fmt.Errorf("email integration %q: %w", in.ID, err)
		}
		return ch, nil
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
