package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

var _ driver.Leaser = (*Store)(nil)

// AcquireLease takes the lease name for holder until now+ttl, or renews it
// when holder has it already; it returns false when another holder's lease
// has not expired.
//
// It is one conditional upsert, atomic on both databases: the row is
// inserted when absent, and overwritten only when the lease expired or
// belongs to the same holder. Two instances racing for a new name are
// ordered by the primary key; racing for an existing one, by its row lock,
// after which PostgreSQL re-evaluates the condition on the committed row.
// An upsert rather than SELECT ... FOR UPDATE SKIP LOCKED: a lease is taken
// by name, often before its row exists, which SKIP LOCKED cannot claim, and
// one statement costs one round trip.
//
// On PostgreSQL the expiry is computed and compared with the database's
// clock, so instances whose clocks disagree still exclude each other. On
// SQLite, whose users share one host, the store's clock is used.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := checkLease(name, holder); err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	if ttl <= 0 {
		return false, fmt.Errorf("acquire lease %q: %w", name, inbox.Invalid("ttl", "must be positive"))
	}
	var query string
	var args []any
	if s.d.Name() == "postgres" {
		query = `INSERT INTO leases (name, holder, expires_at)
			VALUES ($1, $2, clock_timestamp() + $3::bigint * interval '1 microsecond')
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.expires_at <= clock_timestamp() OR leases.holder = excluded.holder
			RETURNING holder`
		args = []any{name, holder, max(ttl.Microseconds(), 1)}
	} else {
		now := s.now().UnixNano()
		query = s.d.Rebind(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.expires_at <= ? OR leases.holder = excluded.holder
			RETURNING holder`)
		args = []any{name, holder, now + int64(ttl), now}
	}
	var got string
	err := s.writer.QueryRowContext(ctx, query, args...).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.wrap("acquire lease", err)
	}
	return true, nil
}

// ReleaseLease ends holder's lease on name so another holder may take it
// at once. A lease another holder has (ours expired and was taken) is left
// alone.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := checkLease(name, holder); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	_, err := s.writer.ExecContext(ctx, s.d.Rebind(`DELETE FROM leases WHERE name = ? AND holder = ?`), name, holder)
	return s.wrap("release lease", err)
}

func checkLease(name, holder string) error {
	switch {
	case name == "":
		return inbox.Invalid("name", "is required")
	case holder == "":
		return inbox.Invalid("holder", "is required")
	}
	return nil
}
