package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/inboxkit/inboxkit/inbox"
)

// Send delivers out over SMTP and returns its Message-ID, which stays the
// same across retries of one outbox entry. Refused credentials wrap
// inbox.ErrUnauthorized; network failures and 4xx replies wrap
// inbox.ErrTemporary (retried); 5xx replies are final. With AppendSent the
// sent copy is then stored in the Sent folder; a failure there is logged,
// not returned, since the mail has left.
func (c *Channel) Send(ctx context.Context, out inbox.Outbound) (string, error) {
	if c.opts.SMTP.Addr == "" {
		return "", fmt.Errorf("email: send: %w: no SMTP server configured", inbox.ErrUnsupported)
	}
	msg, err := c.compose(ctx, out)
	if err != nil {
		return "", err
	}
	if err := c.submit(ctx, msg); err != nil {
		return "", err
	}
	if c.opts.AppendSent && c.opts.IMAP.Addr != "" {
		if err := c.appendSent(ctx, msg.raw); err != nil {
			c.log.Warn("email: keep a copy in the Sent folder", "message_id", msg.messageID, "err", err)
		}
	}
	return msg.messageID, nil
}

// submit hands a composed message to the SMTP server.
func (c *Channel) submit(ctx context.Context, msg composed) error {
	client, stop, err := c.dialSMTP(ctx)
	if err != nil {
		return err
	}
	defer stop()
	defer client.Close()
	if err := client.Mail(msg.from, nil); err != nil {
		return c.smtpErr("mail from", err)
	}
	for _, r := range msg.recipients {
		if err := client.Rcpt(r, nil); err != nil {
			return c.smtpErr("rcpt to "+r, err)
		}
	}
	w, err := client.Data()
	if err != nil {
		return c.smtpErr("data", err)
	}
	if _, err := w.Write(msg.raw); err != nil {
		return c.smtpErr("data", err)
	}
	if err := w.Close(); err != nil {
		return c.smtpErr("data", err)
	}
	_ = client.Quit()
	return nil
}

// dialSMTP connects to the SMTP server, greets it and authenticates; the
// connection closes when ctx ends, until stop is called. Connection
// failures are explained in plain words (inbox.PlainError).
func (c *Channel) dialSMTP(ctx context.Context) (client *smtp.Client, stop func() bool, err error) {
	s := c.opts.SMTP
	conn, err := c.opts.Dialer.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return nil, nil, explainConnect("outgoing mail server", s.Addr, fmt.Errorf("smtp %s: connect: %w: %w", s.Addr, inbox.ErrTemporary, err))
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	} else {
		_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
	}
	stop = context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(err error) (*smtp.Client, func() bool, error) {
		stop()
		return nil, nil, err
	}

	switch s.Security {
	case SecurityPlain:
		client = smtp.NewClient(conn)
	case SecuritySTARTTLS:
		client, err = smtp.NewClientStartTLS(conn, tlsConfig(s))
	default:
		client = smtp.NewClient(tls.Client(conn, tlsConfig(s)))
	}
	if err != nil {
		conn.Close()
		return fail(explainHandshake("outgoing mail server", s.Addr, c.smtpErr("starttls", err)))
	}
	if err := client.Hello(c.domain); err != nil {
		client.Close()
		return fail(explainHandshake("outgoing mail server", s.Addr, c.smtpErr("hello", err)))
	}
	if err := c.smtpAuth(ctx, client); err != nil {
		client.Close()
		return fail(err)
	}
	return client, stop, nil
}

func (c *Channel) smtpAuth(ctx context.Context, client *smtp.Client) error {
	a := c.opts.Auth
	if c.opts.SMTPAuth != nil {
		a = *c.opts.SMTPAuth
	}
	addr := c.opts.SMTP.Addr
	var err error
	switch {
	case a.Tokens != nil:
		err = tokenLogin(a, func(token string) error {
			return client.Auth(tokenMechanism(client.SupportsAuth, a.Username, token, addr, false))
		}, smtpRefused)
		if errors.Is(err, errTokenSource) {
			return explainTokenSource("outgoing mail server", fmt.Errorf("smtp %s: log in %q: %w", addr, a.Username, err))
		}
	case a.Username != "" && client.SupportsAuth(sasl.Plain):
		err = client.Auth(sasl.NewPlainClient("", a.Username, string(a.Password)))
	case a.Username != "" && client.SupportsAuth(sasl.Login):
		err = client.Auth(sasl.NewLoginClient(a.Username, string(a.Password)))
	case a.Username != "":
		return fmt.Errorf("smtp %s: the server offers no PLAIN or LOGIN authentication: %w", addr, inbox.ErrUnsupported)
	default:
		return nil
	}
	if err == nil {
		return nil
	}
	if smtpRefused(err) {
		var se *smtp.SMTPError
		errors.As(err, &se)
		what := "check the username and password"
		if a.Tokens != nil {
			what = "the access token was refused even after a refresh: connect the mailbox again"
		}
		return explainLogin("outgoing mail server", a.Username, a.Tokens != nil, fmt.Errorf("smtp %s: the server refused the login of %q (%d %s): %s: %w",
			addr, a.Username, se.Code, se.Message, what, inbox.ErrUnauthorized))
	}
	return c.smtpErr("auth", err)
}

// smtpRefused reports whether the server refused the credentials (as
// opposed to failing for a while).
func smtpRefused(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && (se.Code == 535 || se.Code == 534 || se.Code == 530)
}

// smtpErr classifies an SMTP failure: 4xx and network errors are
// temporary, 5xx final.
func (c *Channel) smtpErr(step string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		if se.Code >= 400 && se.Code < 500 {
			return fmt.Errorf("smtp %s: %s: %w: %w", c.opts.SMTP.Addr, step, inbox.ErrTemporary, err)
		}
		return fmt.Errorf("smtp %s: %s: %w", c.opts.SMTP.Addr, step, err)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("smtp %s: %s: %w: %w", c.opts.SMTP.Addr, step, inbox.ErrTemporary, err)
	}
	return fmt.Errorf("smtp %s: %s: %w: %w", c.opts.SMTP.Addr, step, inbox.ErrTemporary, err)
}

// appendSent stores the sent copy, marked read, in the Sent folder.
func (c *Channel) appendSent(ctx context.Context, raw []byte) error {
	ic, err := c.dialIMAP(ctx, nil)
	if err != nil {
		return err
	}
	defer ic.logout()
	name := c.opts.SentFolder
	if name == "" || name == "-" {
		if name, err = c.findSent(ic); err != nil {
			return err
		}
		if name == "" {
			return fmt.Errorf("imap %s: no Sent folder found: %w", c.opts.IMAP.Addr, inbox.ErrNotFound)
		}
	}
	cmd := ic.Append(name, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: time.Now()})
	if _, err := bytes.NewReader(raw).WriteTo(cmd); err != nil {
		return tempErr(c.opts.IMAP.Addr, "append to "+name, err)
	}
	if err := cmd.Close(); err != nil {
		return tempErr(c.opts.IMAP.Addr, "append to "+name, err)
	}
	if _, err := cmd.Wait(); err != nil {
		return tempErr(c.opts.IMAP.Addr, "append to "+name, err)
	}
	return nil
}
