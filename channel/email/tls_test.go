package email

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// testCert returns a server certificate for 127.0.0.1 and a client
// configuration trusting only it.
func testCert(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// startTLSMemIMAP runs the in-memory IMAP server behind implicit TLS or
// STARTTLS (plain logins refused before it).
func startTLSMemIMAP(t *testing.T, cfg *tls.Config, implicit bool) string {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(imapUser, imapPassword)
	require.NoError(t, u.Create("INBOX", nil))
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		TLSConfig: cfg,
		Caps:      imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
	})
	var ln net.Listener
	var err error
	if implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", cfg)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func TestIMAPOverTLSAndStartTLS(t *testing.T) {
	serverCfg, clientCfg := testCert(t)
	for _, tt := range []struct {
		name     string
		security Security
		implicit bool
	}{
		{"implicit tls", SecurityTLS, true},
		{"starttls", SecuritySTARTTLS, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := startTLSMemIMAP(t, serverCfg, tt.implicit)
			pullTrusted := func() {
				ch := newIMAPChannel(t, addr, func(o *Options) { o.IMAP = Server{Addr: addr, Security: tt.security, TLSConfig: clientCfg} })
				col := &collector{}
				require.NoError(t, ch.Pull(context.Background(), "", col.deliver))
			}
			pullTrusted()

			// A certificate the client does not trust is refused.
			ch := newIMAPChannel(t, addr, func(o *Options) { o.IMAP = Server{Addr: addr, Security: tt.security} })
			err := ch.Pull(context.Background(), "", (&collector{}).deliver)
			require.Error(t, err)
			require.ErrorContains(t, err, "certificate")
		})
	}
}

func TestSMTPOverTLSAndStartTLS(t *testing.T) {
	serverCfg, clientCfg := testCert(t)
	for _, tt := range []struct {
		name     string
		security Security
	}{
		{"implicit tls", SecurityTLS},
		{"starttls", SecuritySTARTTLS},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &smtpServer{}
			s := smtp.NewServer(rec)
			s.Domain = "localhost"
			s.TLSConfig = serverCfg
			s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
			var ln net.Listener
			var err error
			if tt.security == SecurityTLS {
				ln, err = tls.Listen("tcp", "127.0.0.1:0", serverCfg)
			} else {
				ln, err = net.Listen("tcp", "127.0.0.1:0")
			}
			require.NoError(t, err)
			go s.Serve(ln)
			t.Cleanup(func() { s.Close() })

			ch := newSMTPChannel(t, ln.Addr().String(), Auth{Username: smtpUser, Password: smtpPassword}, func(o *Options) {
				o.SMTP = Server{Addr: ln.Addr().String(), Security: tt.security, TLSConfig: clientCfg}
			})
			_, err = ch.Send(context.Background(), sampleOutbound(nil))
			require.NoError(t, err)
			require.Len(t, rec.received(), 1)

			untrusted := newSMTPChannel(t, ln.Addr().String(), Auth{Username: smtpUser, Password: smtpPassword}, func(o *Options) {
				o.SMTP = Server{Addr: ln.Addr().String(), Security: tt.security}
			})
			_, err = untrusted.Send(context.Background(), sampleOutbound(nil))
			require.Error(t, err)
			require.ErrorIs(t, err, inbox.ErrTemporary)
		})
	}
}
