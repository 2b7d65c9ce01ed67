package dovecot

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// WriteMaildir stores n messages straight into a user's maildir folder
// ("INBOX" or another folder name), much faster than APPEND for large
// test mailboxes. gen returns message i (0-based); line endings may be
// CRLF or LF. Dovecot assigns UIDs when it next looks at the folder, so
// call it before the messages are fetched and not while a client has the
// folder selected.
func (s *Server) WriteMaildir(user, folder string, n int, gen func(i int) []byte) error {
	dir := s.MailDir(user)
	if folder != "INBOX" {
		dir = filepath.Join(dir, "."+strings.ReplaceAll(folder, "/", "."))
	}
	ids, err := accounts()
	if err != nil {
		return err
	}
	for _, sub := range []string{"", "cur", "new", "tmp"} {
		p := filepath.Join(dir, sub)
		if err := os.MkdirAll(p, 0o700); err != nil {
			return err
		}
		if ids.root {
			if err := os.Chown(p, ids.mailUID, ids.mailGID); err != nil {
				return err
			}
		}
	}
	if ids.root {
		if err := os.Chown(s.MailDir(user), ids.mailUID, ids.mailGID); err != nil {
			return err
		}
	}
	// File names are unique the way a delivering server's are
	// (<seconds>.M<microseconds>P<pid>Q<count>.<host>): the microseconds
	// vary. Dovecot keeps a mailbox's names in a hash table whose hash
	// (ELF/PJW) folds names that differ only in a counter repeated twice
	// (1700000123.M123P1...) into a few hundred values: with messages of
	// one size, 10,000 names fell into 1,002 values, one of them shared
	// by 5,400 names, and every rescan of the folder cost Dovecot
	// seconds — an artefact of the test mailbox, not of real mail.
	rng := rand.New(rand.NewPCG(uint64(n), uint64(len(folder))))
	for i := 0; i < n; i++ {
		raw := gen(i)
		// Maildir keeps LF line endings; Dovecot serves CRLF.
		raw = []byte(strings.ReplaceAll(string(raw), "\r\n", "\n"))
		name := filepath.Join(dir, "cur", fmt.Sprintf("%d.M%dP4242Q%d.inboxkit,S=%d:2,", 1700000000+i, rng.IntN(1_000_000), i+1, len(raw)))
		if err := os.WriteFile(name, raw, 0o600); err != nil {
			return err
		}
		if ids.root {
			if err := os.Chown(name, ids.mailUID, ids.mailGID); err != nil {
				return err
			}
		}
	}
	return nil
}
