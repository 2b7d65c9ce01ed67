package email

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// TestConnectionTest logs in to IMAP and opens INBOX, then greets and
// authenticates to SMTP, sending nothing; each refusal is explained in
// words naming the server, never the password.
func TestConnectionTest(t *testing.T) {
	imapAddr := startMemIMAP(t)
	smtpSrv := startSMTP(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, deadPort, _ := net.SplitHostPort(dead)

	channel := func(imapAddr, imapPassword, smtpAddr, smtpPassword string) *Channel {
		o := Options{IntegrationID: "mail1", Tenant: "t1", IMAP: Server{Addr: imapAddr, Security: SecurityPlain},
			Auth:      Auth{Username: imapUser, Password: Secret(imapPassword)},
			Addresses: []string{imapUser}}
		if smtpAddr != "" {
			o.SMTP = Server{Addr: smtpAddr, Security: SecurityPlain}
			o.SMTPAuth = &Auth{Username: smtpUser, Password: Secret(smtpPassword)}
		}
		ch, err := New(o)
		require.NoError(t, err)
		return ch
	}
	plain := func(err error) string {
		var pe *inbox.PlainError
		require.True(t, errors.As(err, &pe), "%v carries a sentence", err)
		return pe.Text
	}
	ctx := context.Background()

	require.NoError(t, channel(imapAddr, imapPassword, smtpSrv.addr, smtpPassword).TestConnection(ctx))
	require.NoError(t, channel(imapAddr, imapPassword, "", "").TestConnection(ctx), "no SMTP server: IMAP only")
	require.Empty(t, smtpSrv.received(), "nothing is sent")

	err = channel(imapAddr, "wrong-imap-pass", smtpSrv.addr, smtpPassword).TestConnection(ctx)
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
	require.Equal(t, "The mail server refused the login of "+imapUser+": check the user name and password.", plain(err))
	require.NotContains(t, plain(err), "wrong-imap-pass")

	err = channel(imapAddr, imapPassword, smtpSrv.addr, "wrong-smtp-pass").TestConnection(ctx)
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
	require.Equal(t, "The outgoing mail server refused the login of "+smtpUser+": check the user name and password.", plain(err))

	err = channel(dead, imapPassword, "", "").TestConnection(ctx)
	require.ErrorIs(t, err, inbox.ErrTemporary)
	require.Equal(t, "Nothing answers at 127.0.0.1 on port "+deadPort+": check the mail server's name and port.", plain(err))

	err = channel(imapAddr, imapPassword, dead, smtpPassword).TestConnection(ctx)
	require.Equal(t, "Nothing answers at 127.0.0.1 on port "+deadPort+": check the outgoing mail server's name and port.", plain(err))

	// An SMTP server where IMAP is expected: it answers, but not as one.
	err = channel(smtpSrv.addr, imapPassword, "", "").TestConnection(ctx)
	require.Error(t, err)
	require.Contains(t, plain(err), "answered on port")
}
