package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestHealthAndReadiness: /healthz and /readyz answer without a login,
// for orchestrators.
func TestHealthAndReadiness(t *testing.T) {
	addr := startServer(t, nil)
	for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
		res, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		require.Equal(t, want, string(body), path)
	}
}

// TestShutdownDrains: on SIGTERM the live event streams end, so browsers
// reconnect to another instance, while a request in flight still gets
// its answer, and the server then stops without an error.
func TestShutdownDrains(t *testing.T) {
	addr, stop := launch(t, nil)
	const login = `{"email":"claire@maison-lumiere.example","password":"lumiere-demo"}`
	res, err := http.Post("http://"+addr+"/inbox/session", "application/json", strings.NewReader(login))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	stream, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer stream.Close()
	_, err = fmt.Fprintf(stream, "GET /inbox/events HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n\r\n", addr, res.Cookies()[0].String())
	require.NoError(t, err)
	streamReader := bufio.NewReader(stream)
	status, err := streamReader.ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, status, "200")

	// A login whose body is half sent when the signal arrives.
	inFlight, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer inFlight.Close()
	_, err = fmt.Fprintf(inFlight, "POST /inbox/session HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, len(login), login[:10])
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond) // let the server start reading it

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()

	// The event stream ends: the rest of the response arrives and the
	// connection closes.
	_ = stream.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.Copy(io.Discard, streamReader)
	require.NoError(t, err, "the event stream ends instead of running into the deadline")

	_, err = io.WriteString(inFlight, login[10:])
	require.NoError(t, err)
	_ = inFlight.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := http.ReadResponse(bufio.NewReader(inFlight), nil)
	require.NoError(t, err, "the request in flight gets its answer")
	got.Body.Close()
	require.Equal(t, http.StatusOK, got.StatusCode)

	require.NoError(t, <-stopped)
}
