package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// Session is a logged-in browser.
type Session struct {
	ID        string
	Tenant    string
	AccountID string
	// CSRF is the synchronizer token the page echoes in X-CSRF-Token.
	CSRF      string
	ExpiresAt time.Time
}

// Sessions keeps browser sessions in memory, or in a table of a database
// every server instance shares (OpenSessions). In memory a restart logs
// everybody out, which a single reference server accepts in exchange for
// sessions that can be revoked at once (logout, password change); in the
// database they are revoked as fast, for every instance. Sessions slide:
// each use pushes the expiry TTL into the future, up to MaxAge after
// login.
type Sessions struct {
	TTL    time.Duration
	MaxAge time.Duration
	now    func() time.Time
	// db, when set, holds the sessions instead of items (shared.go).
	db  *sql.DB
	log *slog.Logger

	mu    sync.Mutex
	items map[string]*sessionEntry
}

type sessionEntry struct {
	s       Session
	created time.Time
}

// NewSessions returns a session store; ttl 0 means 12 hours of
// inactivity, and sessions end 7 days after login at most.
func NewSessions(ttl time.Duration, now func() time.Time) *Sessions {
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	if now == nil {
		now = time.Now
	}
	return &Sessions{TTL: ttl, MaxAge: 7 * 24 * time.Hour, now: now, items: map[string]*sessionEntry{}}
}

// SessionOptions configure OpenSessions.
type SessionOptions struct {
	// DB is the PostgreSQL database (pgx's database/sql driver) every
	// server instance shares; the sessions table is created there.
	// Required.
	DB *sql.DB
	// TTL is how long a session lasts without use. 0: 12 hours.
	TTL time.Duration
	// Now tells the time. Nil: the system clock.
	Now func() time.Time
	// Logger receives database errors, which end the request as if the
	// session were unknown. Nil: discarded.
	Logger *slog.Logger
}

// OpenSessions returns sessions kept in opts.DB, shared by every server
// instance on it: a session started on one is valid on all, and a logout
// on one ends it on all.
func OpenSessions(ctx context.Context, opts SessionOptions) (*Sessions, error) {
	if opts.DB == nil {
		return nil, inbox.Invalid("SessionOptions.DB", "is required")
	}
	if err := createSharedTables(ctx, opts.DB); err != nil {
		return nil, err
	}
	s := NewSessions(opts.TTL, opts.Now)
	s.db, s.log = opts.DB, opts.Logger
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s, nil
}

// Create starts a session for an account.
func (s *Sessions) Create(tenant, accountID string) Session {
	now := s.now()
	sess := Session{ID: randomToken(), Tenant: tenant, AccountID: accountID, CSRF: randomToken(), ExpiresAt: now.Add(s.TTL)}
	if s.db != nil {
		s.dbCreate(sess, now)
		return sess
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gc(now)
	s.items[sess.ID] = &sessionEntry{s: sess, created: now}
	return sess
}

// Get returns a live session and extends it.
func (s *Sessions) Get(id string) (Session, bool) {
	now := s.now()
	if s.db != nil {
		return s.dbGet(id, now)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.items[id]
	if !ok {
		return Session{}, false
	}
	if now.After(e.s.ExpiresAt) || now.Sub(e.created) > s.MaxAge {
		delete(s.items, id)
		return Session{}, false
	}
	e.s.ExpiresAt = now.Add(s.TTL)
	return e.s, true
}

// Peek returns a live session without extending it; its ExpiresAt is
// when it ends unless used again (the sliding expiry, or MaxAge after
// login, whichever comes first).
func (s *Sessions) Peek(id string) (Session, bool) {
	now := s.now()
	if s.db != nil {
		return s.dbPeek(id, now)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.items[id]
	if !ok {
		return Session{}, false
	}
	end := e.created.Add(s.MaxAge)
	if now.After(e.s.ExpiresAt) || now.After(end) {
		delete(s.items, id)
		return Session{}, false
	}
	sess := e.s
	if end.Before(sess.ExpiresAt) {
		sess.ExpiresAt = end
	}
	return sess, true
}

// Delete ends a session.
func (s *Sessions) Delete(id string) {
	if s.db != nil {
		s.dbDelete(id)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.items, id)
}

// gc drops expired sessions; the caller holds mu.
func (s *Sessions) gc(now time.Time) {
	for id, e := range s.items {
		if now.After(e.s.ExpiresAt) {
			delete(s.items, id)
		}
	}
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
