package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// IntegrationLease is an integration claimed by one scheduler instance.
type IntegrationLease struct {
	Tenant        inbox.TenantID
	IntegrationID string
	Until         time.Time
}

// ClaimIntegrations leases up to limit enabled integrations, across
// tenants, whose lease expired, to owner until now+lease, so that each
// mailbox syncs on one instance at a time. On PostgreSQL rows another
// instance is claiming are skipped (FOR UPDATE SKIP LOCKED) rather than
// waited for. The oldest-expired leases come first.
func (s *Store) ClaimIntegrations(ctx context.Context, owner string, lease time.Duration, limit int) ([]IntegrationLease, error) {
	if owner == "" || lease <= 0 || limit <= 0 {
		return nil, fmt.Errorf("claim integrations: %w", inbox.Invalid("owner, lease, limit", "must be non-empty and positive"))
	}
	now := s.now().UTC()
	until := now.Add(lease)
	rows, err := s.writer.QueryContext(ctx, s.d.Rebind(`UPDATE integrations SET lease_owner = ?, lease_until = ?
		WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM integrations WHERE enabled = ? AND lease_until < ?
			ORDER BY lease_until LIMIT ?`+s.d.SkipLocked()+`)
		RETURNING tenant_id, id`), owner, nanos(until), true, nanos(now), limit)
	if err != nil {
		return nil, s.wrap("claim integrations", err)
	}
	defer rows.Close()
	var out []IntegrationLease
	for rows.Next() {
		var l IntegrationLease
		if err := rows.Scan(&l.Tenant, &l.IntegrationID); err != nil {
			return nil, s.wrap("claim integrations", err)
		}
		l.Until = until
		out = append(out, l)
	}
	return out, s.wrap("claim integrations", rows.Err())
}

// ReleaseIntegration ends owner's lease on an integration, so the next
// claim may take it at once; a lease held by another owner is left alone.
func (s *Store) ReleaseIntegration(ctx context.Context, tenant inbox.TenantID, integrationID, owner string) error {
	_, err := s.writer.ExecContext(ctx, s.d.Rebind(`UPDATE integrations SET lease_owner = '', lease_until = 0
		WHERE tenant_id = ? AND id = ? AND lease_owner = ?`), string(tenant), integrationID, owner)
	return s.wrap("release integration", err)
}
