package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// logSchema creates the pull and lease logs in the store's schema. The
// trigger stamps each change of a lease with clock_timestamp(), inside
// the statement that made it, so the log cannot disagree with the table.
const logSchema = `
CREATE TABLE IF NOT EXISTS chaos_pulls (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	instance text NOT NULL,
	integration text NOT NULL,
	started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	finished_at timestamptz,
	err text NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS chaos_lease_log (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL,
	op text NOT NULL,
	holder text NOT NULL,
	expires_at timestamptz,
	at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE OR REPLACE FUNCTION chaos_log_lease() RETURNS trigger AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		INSERT INTO chaos_lease_log (name, op, holder, expires_at) VALUES (OLD.name, TG_OP, OLD.holder, OLD.expires_at);
		RETURN OLD;
	END IF;
	INSERT INTO chaos_lease_log (name, op, holder, expires_at) VALUES (NEW.name, TG_OP, NEW.holder, NEW.expires_at);
	RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS chaos_lease_log ON leases;
CREATE TRIGGER chaos_lease_log AFTER INSERT OR UPDATE OR DELETE ON leases
	FOR EACH ROW EXECUTE FUNCTION chaos_log_lease();
`

// InstallLogs creates the logs and the lease trigger. db's search_path must
// be the store's schema, already migrated.
func InstallLogs(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, logSchema); err != nil {
		return fmt.Errorf("chaos: install logs: %w", err)
	}
	return nil
}

// Pull is one Pull of a mailbox by an instance. Finished is zero when the
// instance died during it.
type Pull struct {
	Instance    string
	Integration string
	Started     time.Time
	Finished    time.Time
	Err         string
}

// LeaseChange is one row change of the leases table.
type LeaseChange struct {
	Name    string
	Op      string // INSERT, UPDATE or DELETE
	Holder  string
	Expires time.Time
	At      time.Time
}

// ReadPulls returns the pull log in start order.
func ReadPulls(ctx context.Context, db *sql.DB) ([]Pull, error) {
	rows, err := db.QueryContext(ctx, `SELECT instance, integration, started_at, finished_at, err FROM chaos_pulls ORDER BY started_at, id`)
	if err != nil {
		return nil, fmt.Errorf("chaos: read pulls: %w", err)
	}
	defer rows.Close()
	var out []Pull
	for rows.Next() {
		var p Pull
		var finished sql.NullTime
		if err := rows.Scan(&p.Instance, &p.Integration, &p.Started, &finished, &p.Err); err != nil {
			return nil, fmt.Errorf("chaos: read pulls: %w", err)
		}
		p.Finished = finished.Time
		out = append(out, p)
	}
	return out, rows.Err()
}

// ReadLeaseLog returns the lease log in commit order of its rows.
func ReadLeaseLog(ctx context.Context, db *sql.DB) ([]LeaseChange, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, op, holder, expires_at, at FROM chaos_lease_log ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("chaos: read lease log: %w", err)
	}
	defer rows.Close()
	var out []LeaseChange
	for rows.Next() {
		var c LeaseChange
		if err := rows.Scan(&c.Name, &c.Op, &c.Holder, &c.Expires, &c.At); err != nil {
			return nil, fmt.Errorf("chaos: read lease log: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
