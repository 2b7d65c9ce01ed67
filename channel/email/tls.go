package email

import (
	"crypto/tls"
	"net"
)

// tlsClient wraps conn in implicit TLS.
func tlsClient(conn net.Conn, cfg *tls.Config) net.Conn {
	return tls.Client(conn, cfg)
}
