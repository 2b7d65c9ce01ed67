package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// hub fans the engine's events out to Server-Sent Events clients of the
// same tenant. Each client has a bounded queue: a client too slow to keep
// up loses events and is told to resynchronise instead of slowing others.
type hub struct {
	cancel   func()
	presence *presenceBoard
	mu       sync.Mutex
	subs     map[*client]struct{}
	// closing is closed when the server shuts down: every stream ends,
	// and the browser reconnects to an instance that stays.
	closing   chan struct{}
	closeOnce sync.Once
}

type client struct {
	tenant inbox.TenantID
	user   string
	// session and token name the credentials the stream was opened with:
	// it ends when they do.
	session, token string
	ch             chan inbox.Event
	lost           chan struct{}
	ended          chan struct{}
	endOnce        sync.Once
}

func (c *client) end() { c.endOnce.Do(func() { close(c.ended) }) }

const clientQueue = 256

func newHub(eng *inbox.Engine, presence *presenceBoard) *hub {
	h := &hub{subs: map[*client]struct{}{}, closing: make(chan struct{}), presence: presence}
	h.cancel = eng.Subscribe(h.publish)
	return h
}

func (h *hub) publish(ev inbox.Event) {
	if ev.Type == EventPresence {
		h.presence.record(ev)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		if c.tenant != ev.TenantID {
			continue
		}
		// Notifications ("kind:user" in Detail) and an agent's own read
		// state ("state:agent") are personal; the read state goes to the
		// agent's sessions only, as an API token follows the team's.
		if ev.Type == inbox.EventNotification || ev.Type == inbox.EventReaderState {
			if _, user, _ := strings.Cut(ev.Detail, ":"); user != c.user || (ev.Type == inbox.EventReaderState && c.session == "") {
				continue
			}
		}
		// Nobody needs to be told about themselves.
		if ev.Type == EventPresence {
			if _, user, _ := strings.Cut(ev.Detail, ":"); user == c.user {
				continue
			}
		}
		select {
		case c.ch <- ev:
		default:
			select {
			case c.lost <- struct{}{}:
			default:
			}
		}
	}
}

func (h *hub) add(c *client) {
	h.mu.Lock()
	h.subs[c] = struct{}{}
	h.mu.Unlock()
}

func (h *hub) remove(c *client) {
	h.mu.Lock()
	delete(h.subs, c)
	h.mu.Unlock()
}

func (h *hub) close() { h.cancel() }

// endAll ends every stream, those opened later included.
func (h *hub) endAll() { h.closeOnce.Do(func() { close(h.closing) }) }

// endSession ends the streams opened with a session (logout).
func (h *hub) endSession(id string) {
	h.endWhere(func(c *client) bool { return c.session == id })
}

// endToken ends the streams opened with an API token (revocation).
func (h *hub) endToken(tenant inbox.TenantID, id string) {
	h.endWhere(func(c *client) bool { return c.tenant == tenant && c.token == id })
}

func (h *hub) endWhere(match func(*client) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		if match(c) {
			c.end()
		}
	}
}

// heartbeat keeps proxies from closing an idle stream.
const heartbeat = 20 * time.Second

// streamRecheck is how often a stream checks that its credentials still
// hold, besides the immediate end on logout and revocation (an account
// deleted, a token revoked in another process's view).
const streamRecheck = heartbeat

// streamWriteTimeout bounds each write of the event stream: a client that
// stops reading is dropped instead of holding the connection.
const streamWriteTimeout = 30 * time.Second

// events streams the tenant's events as text/event-stream. Each event's
// SSE name is its type and its data the JSON event (ids only, no message
// content: the page fetches what it needs with its own permissions).
func (s *Server) events(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	flusher, ok := w.(http.Flusher)
	if !ok {
		return fmt.Errorf("streaming: %w", inbox.ErrUnsupported)
	}
	// The stream reads nothing: no read deadline may end it (the server's
	// ReadTimeout would cancel its context). Each write gets a deadline
	// of its own instead, so a client that stops reading is dropped.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	c := &client{tenant: tenantOf(p), user: p.Actor, token: p.TokenID, ch: make(chan inbox.Event, clientQueue),
		lost: make(chan struct{}, 1), ended: make(chan struct{})}
	if p.Session != nil {
		c.session = p.Session.ID
	}
	s.hub.add(c)
	defer s.hub.remove(c)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	flusher.Flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	// A session expires unless used: the stream does not use it (that
	// would keep it alive for as long as a tab is open), it checks when
	// it would expire.
	expiry := time.NewTimer(streamRecheck)
	defer expiry.Stop()
	recheck := func() bool {
		ok, until := s.auth.Valid(p)
		next := streamRecheck
		if !until.IsZero() {
			next = min(next, time.Until(until)+10*time.Millisecond)
		}
		expiry.Reset(max(next, 10*time.Millisecond))
		return ok
	}
	if !recheck() {
		c.end()
	}
	for {
		var out string
		select {
		case <-r.Context().Done():
			return nil
		case <-s.hub.closing:
			// The browser reconnects after the retry delay, to an
			// instance that is not shutting down.
			return nil
		case <-expiry.C:
			if !recheck() {
				c.end()
			}
			continue
		case <-c.ended:
			// The page logs in again; the event carries nothing.
			_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
			_, _ = io.WriteString(w, "event: session.ended\ndata: {}\n\n")
			flusher.Flush()
			return nil
		case <-tick.C:
			out = ": ping\n\n"
		case <-c.lost:
			out = "event: resync\ndata: {}\n\n"
		case ev := <-c.ch:
			raw, _ := json.Marshal(ev)
			out = fmt.Sprintf("event: %s\ndata: %s\n\n", ev.Type, raw)
		}
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := io.WriteString(w, out); err != nil {
			return nil
		}
		flusher.Flush()
	}
}
