// Package dovecot starts private Dovecot IMAP servers for integration
// tests: each gets its own configuration in a temporary directory, a free
// loopback port with plaintext authentication, passwd-file users and
// maildir storage, and never touches a system-wide Dovecot.
//
//	func TestSync(t *testing.T) {
//		srv := dovecot.Start(t) // skips when /usr/sbin/dovecot is missing
//		u := srv.Users[0]
//		// connect to srv.Addr as u.Name / u.Password; srv.Stop runs at cleanup
//	}
//
// scripts/install-dovecot.sh installs the server (Debian dovecot-imapd)
// without leaving a system service running.
package dovecot
