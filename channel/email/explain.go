package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/inboxkit/inboxkit/inbox"
)

// Sentences for the people using the inbox (inbox.PlainError): what went
// wrong with a mail server and what to check, without error codes.

// explainConnect explains a failure to open a connection to addr.
func explainConnect(server, addr string, err error) error {
	host, port := splitAddr(addr)
	var dnsErr *net.DNSError
	var text string
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		text = fmt.Sprintf("The %s %s cannot be found: check its name.", server, host)
	case errors.Is(err, syscall.ECONNREFUSED):
		text = fmt.Sprintf("Nothing answers at %s on port %s: check the %s's name and port.", host, port, server)
	case isTimeout(err):
		text = fmt.Sprintf("The %s %s did not answer on port %s in time: check the name and port, or try again later.", server, host, port)
	default:
		text = fmt.Sprintf("Could not connect to the %s %s on port %s.", server, host, port)
	}
	return inbox.Plainly(err, text)
}

// explainHandshake explains a failure after the connection opened: TLS
// or a greeting that is not a mail server's.
func explainHandshake(server, addr string, err error) error {
	host, port := splitAddr(addr)
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostnameErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuthority), errors.As(err, &hostnameErr):
		return inbox.Plainly(err, fmt.Sprintf("The %s %s presented a certificate that cannot be trusted.", server, host))
	case errors.As(err, &recordErr):
		return inbox.Plainly(err, fmt.Sprintf("The %s %s does not speak TLS on port %s: check the security setting (TLS, STARTTLS) and the port.", server, host, port))
	case isTimeout(err):
		return inbox.Plainly(err, fmt.Sprintf("The %s %s stopped answering on port %s.", server, host, port))
	}
	return inbox.Plainly(err, fmt.Sprintf("The %s %s answered on port %s, but not as expected: check the port and the security setting (TLS, STARTTLS).", server, host, port))
}

// explainLogin explains refused credentials.
func explainLogin(server, user string, oauth bool, err error) error {
	if oauth {
		return inbox.Plainly(err, fmt.Sprintf("The %s no longer accepts this mailbox's sign-in: connect the mailbox again.", server))
	}
	return inbox.Plainly(err, fmt.Sprintf("The %s refused the login of %s: check the user name and password.", server, user))
}

// explainTokenSource explains a failure to get an OAuth access token.
func explainTokenSource(server string, err error) error {
	if errors.Is(err, inbox.ErrUnauthorized) {
		return explainLogin(server, "", true, err)
	}
	return inbox.Plainly(err, "The mail provider's sign-in service could not be reached; the mailbox will be tried again.")
}

func splitAddr(addr string) (host, port string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, "?"
	}
	return host, port
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
