package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/inboxkit/inboxkit/inbox"
)

// imapConn is a logged-in IMAP connection.
type imapConn struct {
	*imapclient.Client
	caps imap.CapSet
}

// dialIMAP connects and logs in. Failures wrap inbox.ErrUnauthorized
// (credentials refused) or inbox.ErrTemporary (network, server busy).
func (c *Channel) dialIMAP(ctx context.Context, handler *imapclient.UnilateralDataHandler) (*imapConn, error) {
	s := c.opts.IMAP
	if s.Addr == "" {
		return nil, fmt.Errorf("imap: %w: no IMAP server configured", inbox.ErrUnsupported)
	}
	conn, err := c.opts.Dialer.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return nil, explainConnect("mail server", s.Addr, fmt.Errorf("imap %s: connect: %w: %w", s.Addr, inbox.ErrTemporary, err))
	}
	opts := &imapclient.Options{TLSConfig: tlsConfig(s), UnilateralDataHandler: handler}
	var client *imapclient.Client
	switch s.Security {
	case SecurityPlain:
		client = imapclient.New(conn, opts)
	case SecuritySTARTTLS:
		client, err = imapclient.NewStartTLS(conn, opts)
	default:
		client = imapclient.New(tls.Client(conn, opts.TLSConfig), opts)
	}
	if err != nil {
		conn.Close()
		return nil, explainHandshake("mail server", s.Addr, fmt.Errorf("imap %s: starttls: %w: %w", s.Addr, inbox.ErrTemporary, err))
	}
	// Stop blocking reads when ctx ends.
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()
	if err := client.WaitGreeting(); err != nil {
		client.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("imap %s: greeting: %w: %w", s.Addr, inbox.ErrTemporary, ctx.Err())
		}
		return nil, explainHandshake("mail server", s.Addr, fmt.Errorf("imap %s: greeting: %w: %w", s.Addr, inbox.ErrTemporary, err))
	}
	if err := c.login(ctx, client); err != nil {
		client.Close()
		return nil, err
	}
	// Servers (Dovecot among them) advertise extensions such as IDLE and
	// CONDSTORE only after login: ask again.
	caps, err := client.Capability().Wait()
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("imap %s: capability: %w: %w", s.Addr, inbox.ErrTemporary, err)
	}
	if ctx.Err() != nil {
		client.Close()
		return nil, ctx.Err()
	}
	return &imapConn{Client: client, caps: caps}, nil
}

func (c *Channel) login(ctx context.Context, client *imapclient.Client) error {
	a, s := c.opts.Auth, c.opts.IMAP
	var err error
	switch {
	case a.Tokens != nil:
		offers := func(mech string) bool { return client.Caps().Has(imap.AuthCap(mech)) }
		err = tokenLogin(a, func(token string) error {
			return client.Authenticate(tokenMechanism(offers, a.Username, token, s.Addr, true))
		}, imapRefused)
		if errors.Is(err, errTokenSource) {
			return explainTokenSource("mail server", fmt.Errorf("imap %s: log in %q: %w", s.Addr, a.Username, err))
		}
	case client.Caps().Has(imap.AuthCap(sasl.Plain)):
		err = client.Authenticate(sasl.NewPlainClient("", a.Username, string(a.Password)))
	default:
		err = client.Login(a.Username, string(a.Password)).Wait()
	}
	if err == nil {
		return nil
	}
	if imapRefused(err) {
		var imapErr *imap.Error
		errors.As(err, &imapErr)
		what := "check the username and password"
		if a.Tokens != nil {
			what = "the access token was refused even after a refresh: connect the mailbox again"
		}
		return explainLogin("mail server", a.Username, a.Tokens != nil, fmt.Errorf("imap %s: the server refused the login of %q (%s): %s: %w",
			s.Addr, a.Username, strings.TrimSpace(imapErr.Text), what, inbox.ErrUnauthorized))
	}
	return fmt.Errorf("imap %s: login: %w: %w", s.Addr, inbox.ErrTemporary, err)
}

// imapRefused reports whether the server answered a login with NO.
func imapRefused(err error) bool {
	var imapErr *imap.Error
	return errors.As(err, &imapErr) && imapErr.Type == imap.StatusResponseTypeNo
}

// logout ends the session politely, then closes the connection.
func (ic *imapConn) logout() {
	_ = ic.Logout().Wait()
	_ = ic.Close()
}

// tempErr wraps an IMAP failure: a server's refusal (NO, BAD) is reported
// as it is, anything else (a dropped or timed-out connection) wraps
// inbox.ErrTemporary so it is retried.
func tempErr(addr, what string, err error) error {
	var imapErr *imap.Error
	if errors.As(err, &imapErr) {
		return fmt.Errorf("imap %s: %s: %w", addr, what, err)
	}
	return fmt.Errorf("imap %s: %s: %w: %w", addr, what, inbox.ErrTemporary, err)
}
