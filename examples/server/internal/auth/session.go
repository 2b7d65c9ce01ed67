package auth

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
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

// Sessions keeps browser sessions in memory: a restart logs everybody out,
// which a reference server accepts in exchange for sessions that can be
// revoked at once (logout, password change). Sessions slide: each use
// pushes the expiry TTL into the future, up to MaxAge after login.
type Sessions struct {
	TTL    time.Duration
	MaxAge time.Duration
	now    func() time.Time

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

// Create starts a session for an account.
func (s *Sessions) Create(tenant, accountID string) Session {
	now := s.now()
	sess := Session{ID: randomToken(), Tenant: tenant, AccountID: accountID, CSRF: randomToken(), ExpiresAt: now.Add(s.TTL)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gc(now)
	s.items[sess.ID] = &sessionEntry{s: sess, created: now}
	return sess
}

// Get returns a live session and extends it.
func (s *Sessions) Get(id string) (Session, bool) {
	now := s.now()
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
