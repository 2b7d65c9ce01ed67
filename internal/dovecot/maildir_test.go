package dovecot

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// dovecotNameHash is the hash Dovecot's maildir storage files names under
// (maildir_filename_base_hash: ELF/PJW over the name up to the flags).
func dovecotNameHash(name string) uint32 {
	var h uint32
	for i := 0; i < len(name) && name[i] != ':'; i++ {
		h = h<<4 + uint32(name[i])
		if g := h & 0xf0000000; g != 0 {
			h ^= g >> 24
			h ^= g
		}
	}
	return h
}

// TestWriteMaildirNamesSpreadInDovecotsHash: a large test mailbox of
// messages of one size gets file names that Dovecot's name hash tells
// apart. Names that differ only in a counter (1700000123.M123P1...)
// fell into a few hundred hash values, and Dovecot then spent over a
// minute of processor time rescanning a 10,000-message folder during
// one sync — an artefact of the test mailbox that real mail never has.
func TestWriteMaildirNamesSpreadInDovecotsHash(t *testing.T) {
	s := &Server{Dir: t.TempDir()}
	const n = 10_000
	if err := s.WriteMaildir("u", "INBOX", n, func(i int) []byte {
		return fmt.Appendf(nil, "Subject: %05d\r\n\r\nsame size\r\n", i)
	}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(s.MailDir("u") + "/cur")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Fatalf("%d files, want %d", len(entries), n)
	}
	perHash := map[uint32]int{}
	worst := 0
	for _, e := range entries {
		h := dovecotNameHash(e.Name())
		perHash[h]++
		worst = max(worst, perHash[h])
	}
	if len(perHash) < n*99/100 || worst > 4 {
		t.Fatalf("%d names share %d hash values, up to %d per value: Dovecot's look-ups degrade to scans", n, len(perHash), worst)
	}
}

// TestCommandsReadsTheRawLog: a server started with RawLog tells which
// commands a client sent, session by session.
func TestCommandsReadsTheRawLog(t *testing.T) {
	s := StartConfig(t, Config{RawLog: true})
	conn, r := dial(t, s)
	send := func(tag, cmd string) {
		t.Helper()
		if _, err := conn.Write([]byte(tag + " " + cmd + "\r\n")); err != nil {
			t.Fatal(err)
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v\n%s", cmd, err, s.Logs())
			}
			if strings.HasPrefix(line, tag+" ") {
				return
			}
		}
	}
	send("a", "LOGIN "+DefaultUser.Name+" "+DefaultUser.Password)
	send("b", "EXAMINE INBOX")
	send("c", "UID FETCH 1:* (FLAGS)")
	send("d", "LOGOUT")
	_, _ = r.ReadString('\n')

	cmds, err := s.Commands()
	if err != nil {
		t.Fatal(err)
	}
	// The login is not logged: the raw log starts once the user is known.
	var got []string
	for _, c := range cmds {
		got = append(got, c.Tag+" "+c.Name()+" | "+c.Line)
	}
	want := []string{"b EXAMINE | EXAMINE INBOX", "c UID FETCH | UID FETCH 1:* (FLAGS)", "d LOGOUT | LOGOUT"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
