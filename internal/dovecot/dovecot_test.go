package dovecot

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// dial connects to the server and reads its greeting.
func dial(t *testing.T, s *Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "* OK") {
		t.Fatalf("greeting %q", line)
	}
	return conn, r
}

func TestStartAcceptsLogin(t *testing.T) {
	s := Start(t)
	conn, r := dial(t, s)
	if _, err := conn.Write([]byte("a LOGIN " + DefaultUser.Name + " " + DefaultUser.Password + "\r\n")); err != nil {
		t.Fatal(err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("login: %v\n%s", err, s.Logs())
		}
		if strings.HasPrefix(line, "a ") {
			if !strings.HasPrefix(line, "a OK") {
				t.Fatalf("login refused: %q\n%s", line, s.Logs())
			}
			return
		}
	}
}
