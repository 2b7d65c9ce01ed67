package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// Several server instances on one PostgreSQL database share accounts,
// tokens and sessions through two tables the server creates there, so
// any instance serves any request: a login on one is a session on all, a
// token revoked on one is refused by all.
//
// The directory is one JSON document, the same the accounts file holds,
// with a version: a change is read-modify-write, committed only if the
// version is still the one read (else it is redone on the new document).
// A directory is small and rarely changes; every read first checks the
// version, one indexed row, and reloads the document when it moved.
//
// Failed logins are rows keyed by the SHA-256 of the limiter's key (an
// address or an email), so guesses spread over instances are counted
// together.
//
// Sessions are rows keyed by the SHA-256 of the cookie value, so the
// table does not hold usable cookies. A use reads its row and writes the
// slid expiry only when the stored one is over slideEvery old.

// sharedTables creates the tables if missing, under an advisory lock so
// instances starting together do not race on CREATE TABLE.
const sharedTables = `
SELECT pg_advisory_xact_lock(hashtext('inboxkit server auth tables'));
CREATE TABLE IF NOT EXISTS server_directory (
	id      integer PRIMARY KEY CHECK (id = 1),
	doc     text    NOT NULL,
	version bigint  NOT NULL
);
INSERT INTO server_directory (id, doc, version) VALUES (1, '{"accounts":[],"tokens":[]}', 0) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS server_sessions (
	id         text   PRIMARY KEY,
	tenant     text   NOT NULL,
	account_id text   NOT NULL,
	csrf       text   NOT NULL,
	created_at bigint NOT NULL,
	expires_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS server_sessions_expiry ON server_sessions (expires_at);
CREATE TABLE IF NOT EXISTS server_login_failures (
	key text   NOT NULL,
	at  bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS server_login_failures_key ON server_login_failures (key, at);`

// createSharedTables runs sharedTables in one transaction.
func createSharedTables(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("auth: create tables: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, sharedTables); err != nil {
		return fmt.Errorf("auth: create tables: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("auth: create tables: %w", err)
	}
	return nil
}

// errStale reports a change made against an old directory document.
var errStale = errors.New("auth: the directory changed meanwhile")

// refresh reloads the directory from the database when another instance
// changed it. Without a database it does nothing.
func (d *Directory) refresh(ctx context.Context) error {
	if d.db == nil {
		return nil
	}
	var version int64
	if err := d.db.QueryRowContext(ctx, `SELECT version FROM server_directory WHERE id = 1`).Scan(&version); err != nil {
		return fmt.Errorf("auth: read accounts: %w", err)
	}
	d.mu.RLock()
	current := d.version == version
	d.mu.RUnlock()
	if current {
		return nil
	}
	var raw string
	if err := d.db.QueryRowContext(ctx, `SELECT doc, version FROM server_directory WHERE id = 1`).Scan(&raw, &version); err != nil {
		return fmt.Errorf("auth: read accounts: %w", err)
	}
	var f fileFormat
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		return fmt.Errorf("auth: the accounts in the database are not valid JSON: %w", err)
	}
	d.mu.Lock()
	if version > d.version {
		d.accounts, d.tokens, d.version = f.Accounts, f.Tokens, version
	}
	d.mu.Unlock()
	return nil
}

// persist writes the directory; the caller holds mu. In the database the
// write succeeds only over the version read, else errStale.
func (d *Directory) persist(ctx context.Context) error {
	if d.db == nil {
		return d.save()
	}
	raw, err := json.Marshal(fileFormat{Accounts: d.accounts, Tokens: d.tokens})
	if err != nil {
		return err
	}
	res, err := d.db.ExecContext(ctx, `UPDATE server_directory SET doc = $1, version = version + 1 WHERE id = 1 AND version = $2`,
		string(raw), d.version)
	if err != nil {
		return fmt.Errorf("auth: write accounts: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("auth: write accounts: %w", err)
	} else if n == 0 {
		return errStale
	}
	d.version++
	return nil
}

// maxChangeAttempts bounds how often a change is redone because other
// instances changed the directory at the same moment.
const maxChangeAttempts = 20

// change applies fn to the directory and persists the result; fn runs
// under the write lock on the latest document and its changes are undone
// when it or the write fails.
func (d *Directory) change(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		if err := d.refresh(ctx); err != nil {
			return err
		}
		d.mu.Lock()
		accounts, tokens := append([]Account(nil), d.accounts...), append([]Token(nil), d.tokens...)
		err := fn()
		if err == nil {
			err = d.persist(ctx)
		}
		if err != nil {
			d.accounts, d.tokens = accounts, tokens
		}
		d.mu.Unlock()
		if errors.Is(err, errStale) && attempt < maxChangeAttempts {
			continue
		}
		return err
	}
}

// readTimeout bounds the database reads of methods that take no context.
const readTimeout = 5 * time.Second

// fresh reloads the directory for a read without a context of its own;
// false when the database could not be read, and the caller answers as
// if nothing matched (a refused login, not a stale permission).
func (d *Directory) fresh() bool {
	if d.db == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	return d.refresh(ctx) == nil
}

// sessionKey is what the sessions table keys a session by: the SHA-256
// of the cookie value.
func sessionKey(id string) string { return hashToken(id) }

// dbCreate inserts a session and drops the expired ones. A failed insert
// leaves a cookie that no instance accepts: the next request asks to log
// in again.
func (s *Sessions) dbCreate(sess Session, now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM server_sessions WHERE expires_at < $1 OR created_at < $2`,
		now.UnixNano(), now.Add(-s.MaxAge).UnixNano()); err != nil {
		s.log.Warn("auth: drop expired sessions", "err", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO server_sessions (id, tenant, account_id, csrf, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, sessionKey(sess.ID), sess.Tenant, sess.AccountID, sess.CSRF, now.UnixNano(), sess.ExpiresAt.UnixNano()); err != nil {
		s.log.Error("auth: save session", "err", err)
	}
}

// slideEvery is how stale a session's stored expiry may get before a use
// writes it again: most requests only read their session, and the
// expiry stays within a minute of the in-memory sessions' one.
const slideEvery = time.Minute

// dbGet returns a live session and slides its expiry.
func (s *Sessions) dbGet(id string, now time.Time) (Session, bool) {
	sess, stored, ok := s.dbRead(id, now)
	if !ok {
		return Session{}, false
	}
	sess.ExpiresAt = now.Add(s.TTL)
	if stored.After(sess.ExpiresAt.Add(-slideEvery)) {
		return sess, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `UPDATE server_sessions SET expires_at = $2 WHERE id = $1 AND expires_at >= $3`,
		sessionKey(id), sess.ExpiresAt.UnixNano(), now.UnixNano())
	if err != nil {
		s.log.Error("auth: extend session", "err", err)
		return Session{}, false
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Session{}, false // ended meanwhile
	}
	return sess, true
}

// dbPeek returns a live session without extending it.
func (s *Sessions) dbPeek(id string, now time.Time) (Session, bool) {
	sess, _, ok := s.dbRead(id, now)
	return sess, ok
}

// dbRead reads a live session: its ExpiresAt is when it ends unless used
// (the stored sliding expiry or MaxAge after login, whichever comes
// first), stored the sliding expiry alone.
func (s *Sessions) dbRead(id string, now time.Time) (sess Session, stored time.Time, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	sess = Session{ID: id}
	var created, expires int64
	err := s.db.QueryRowContext(ctx, `SELECT tenant, account_id, csrf, created_at, expires_at FROM server_sessions WHERE id = $1`,
		sessionKey(id)).Scan(&sess.Tenant, &sess.AccountID, &sess.CSRF, &created, &expires)
	if err != nil {
		if !errors.Is(err, sql.ErrNoRows) {
			s.log.Error("auth: read session", "err", err)
		}
		return Session{}, time.Time{}, false
	}
	stored = time.Unix(0, expires)
	end := time.Unix(0, created).Add(s.MaxAge)
	if now.After(stored) || now.After(end) {
		return Session{}, time.Time{}, false
	}
	sess.ExpiresAt = stored
	if end.Before(stored) {
		sess.ExpiresAt = end
	}
	return sess, stored, true
}

// dbDelete ends a session for every instance.
func (s *Sessions) dbDelete(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM server_sessions WHERE id = $1`, sessionKey(id)); err != nil {
		s.log.Error("auth: end session", "err", err)
	}
}

// OpenLoginLimiter returns a LoginLimiter whose failures are kept in db,
// counted by every server instance on it: spreading guesses over
// instances gains nothing. Attempts being checked are counted per
// instance. max and window as NewLoginLimiter.
func OpenLoginLimiter(ctx context.Context, db *sql.DB, max int, window time.Duration, now func() time.Time) (*LoginLimiter, error) {
	if db == nil {
		return nil, inbox.Invalid("db", "is required")
	}
	if err := createSharedTables(ctx, db); err != nil {
		return nil, err
	}
	l := NewLoginLimiter(max, window, now)
	l.db = db
	return l, nil
}

// sharedFailures are the failures of key within the window, oldest
// first; the caller holds mu. When the database cannot be read the
// instance's own count stands in.
func (l *LoginLimiter) sharedFailures(key string, now time.Time) []time.Time {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	rows, err := l.db.QueryContext(ctx, `SELECT at FROM server_login_failures WHERE key = $1 AND at > $2 ORDER BY at`,
		hashToken(key), now.Add(-l.Window).UnixNano())
	if err != nil {
		return l.failures[key]
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at int64
		if rows.Scan(&at) != nil {
			return l.failures[key]
		}
		out = append(out, time.Unix(0, at))
	}
	if rows.Err() != nil {
		return l.failures[key]
	}
	return out
}

// recordShared stores a failure of every key and drops those out of the
// window; the caller holds mu.
func (l *LoginLimiter) recordShared(keys []string, now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	for _, k := range keys {
		_, _ = l.db.ExecContext(ctx, `INSERT INTO server_login_failures (key, at) VALUES ($1, $2)`, hashToken(k), now.UnixNano())
	}
	_, _ = l.db.ExecContext(ctx, `DELETE FROM server_login_failures WHERE at <= $1`, now.Add(-l.Window).UnixNano())
}

// clearShared forgets the failures of keys; the caller holds mu.
func (l *LoginLimiter) clearShared(keys []string) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	for _, k := range keys {
		_, _ = l.db.ExecContext(ctx, `DELETE FROM server_login_failures WHERE key = $1`, hashToken(k))
	}
}
