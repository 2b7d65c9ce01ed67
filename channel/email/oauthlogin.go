package email

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"golang.org/x/oauth2"

	"github.com/inboxkit/inboxkit/inbox"
)

// mechXOAUTH2 is the SASL mechanism Gmail and Microsoft 365 take OAuth 2
// access tokens with; OAUTHBEARER (RFC 7628) is the standard one, which
// Microsoft does not offer.
const mechXOAUTH2 = "XOAUTH2"

// xoauth2 is the SASL XOAUTH2 client.
type xoauth2 struct {
	username, token string
	// ack answers the server's error challenge. The mechanism asks for an
	// empty answer, but go-imap's client sends an empty answer as "=",
	// which Dovecot takes for invalid base64 and drops the connection:
	// over IMAP a one-byte answer gets the plain refusal instead.
	ack []byte
}

var _ sasl.Client = (*xoauth2)(nil)

func (a *xoauth2) Start() (string, []byte, error) {
	return mechXOAUTH2, []byte("user=" + a.username + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}

// Next answers the server's error challenge, so the server sends its
// final refusal.
func (a *xoauth2) Next(challenge []byte) ([]byte, error) {
	if len(challenge) > 0 {
		if a.ack == nil {
			return []byte{}, nil
		}
		return a.ack, nil
	}
	return nil, errors.New("xoauth2: unexpected server challenge")
}

// oauthBearer is the SASL OAUTHBEARER client (RFC 7628). Unlike go-sasl's,
// it answers the server's error challenge with the dummy response the
// RFC asks for, so the exchange ends with the server's refusal and the
// connection can try again.
type oauthBearer struct {
	username, token, host string
	port                  int
}

var _ sasl.Client = (*oauthBearer)(nil)

func (a *oauthBearer) Start() (string, []byte, error) {
	// The GS2 header escapes ',' and '=' in the authorization identity.
	authz := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(a.username)
	var b strings.Builder
	b.WriteString("n,a=" + authz + ",")
	if a.host != "" {
		b.WriteString("\x01host=" + a.host)
	}
	if a.port != 0 {
		b.WriteString("\x01port=" + strconv.Itoa(a.port))
	}
	b.WriteString("\x01auth=Bearer " + a.token + "\x01\x01")
	return sasl.OAuthBearer, []byte(b.String()), nil
}

func (a *oauthBearer) Next(challenge []byte) ([]byte, error) {
	if len(challenge) > 0 {
		return []byte{0x01}, nil
	}
	return nil, errors.New("oauthbearer: unexpected server challenge")
}

// tokenMechanism picks XOAUTH2, or OAUTHBEARER when the server offers only
// that; addr ("host:port") fills OAUTHBEARER's host and port. imap marks
// an IMAP login (see xoauth2.ack).
func tokenMechanism(offers func(mech string) bool, username, token, addr string, imap bool) sasl.Client {
	if !offers(mechXOAUTH2) && offers(sasl.OAuthBearer) {
		host, portText, _ := strings.Cut(addr, ":")
		port, _ := strconv.Atoi(portText)
		return &oauthBearer{username: username, token: token, host: host, port: port}
	}
	x := &xoauth2{username: username, token: token}
	if imap {
		x.ack = []byte{0x01}
	}
	return x
}

// tokenLogin logs in with an access token from a.Tokens through
// authenticate. When the server refuses the token (refused) and the source
// can invalidate it, the token may have been revoked or expired early:
// it is invalidated and the login tried once more with a fresh one.
func tokenLogin(a Auth, authenticate func(token string) error, refused func(error) bool) error {
	inv, canInvalidate := a.Tokens.(TokenInvalidator)
	for attempt := 0; ; attempt++ {
		token, err := accessToken(a.Tokens)
		if err != nil {
			return err
		}
		err = authenticate(token)
		if err == nil || attempt > 0 || !canInvalidate || !refused(err) {
			return err
		}
		inv.InvalidateToken(token)
	}
}

// errTokenSource marks a failure to get an access token, as opposed to a
// server refusing one.
var errTokenSource = errors.New("get an oauth access token")

// accessToken asks ts for an access token. An authorization server that
// refuses the grant (revoked or expired: "invalid_grant") wraps
// inbox.ErrUnauthorized and says so in words; any other failure wraps
// inbox.ErrTemporary. Tokens themselves never appear in the error.
func accessToken(ts oauth2.TokenSource) (string, error) {
	tok, err := ts.Token()
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = errors.New("the token source returned no access token")
	}
	if err == nil {
		return tok.AccessToken, nil
	}
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		reason := re.ErrorCode
		if d := clip(re.ErrorDescription, 200); d != "" {
			reason += ": " + d
		}
		if reason == "" {
			reason = http.StatusText(status)
		}
		if status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden {
			return "", fmt.Errorf("%w: the provider no longer accepts the mailbox's authorization (%s); "+
				"it was revoked or has expired: connect the mailbox again: %w", errTokenSource, reason, inbox.ErrUnauthorized)
		}
		return "", fmt.Errorf("%w: the provider's token service answered %d (%s): %w", errTokenSource, status, reason, inbox.ErrTemporary)
	case errors.Is(err, inbox.ErrUnauthorized), errors.Is(err, inbox.ErrTemporary):
		return "", fmt.Errorf("%w: %w", errTokenSource, err)
	default:
		return "", fmt.Errorf("%w: %w: %w", errTokenSource, inbox.ErrTemporary, err)
	}
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
