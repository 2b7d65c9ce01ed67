package email

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/inboxkit/inboxkit/inbox"
)

var _ inbox.RawParser = (*Parser)(nil)

// NewReplayParser returns a Parser for inbox.Options.Parsers: like
// NewParser, but the tenant its files are stored under comes with each
// ParseRaw call, so one parser serves every tenant.
func NewReplayParser(opts ParseOptions) (*Parser, error) {
	opts.Tenant = ""
	blobs := opts.Blobs
	opts.Blobs = nil
	p, err := NewParser(opts)
	if err != nil {
		return nil, fmt.Errorf("email: new replay parser: %w", errors.Unwrap(err))
	}
	p.opts.Blobs = blobs
	return p, nil
}

// ParseRaw re-reads a raw message kept in the BlobStore, for
// inbox.Engine.Replay of a quarantined message. Attachments are stored
// again under the given tenant; the raw bytes are not copied (the engine
// keeps the original RawKey). Set it as inbox.Options.Parsers[SourceEmail].
func (p *Parser) ParseRaw(ctx context.Context, tenant inbox.TenantID, integrationID string, raw io.Reader) (inbox.Inbound, error) {
	if tenant == "" {
		return inbox.Inbound{}, fmt.Errorf("email: parse raw: %w", inbox.Invalid("tenant", "is required"))
	}
	cp := *p
	cp.opts.Tenant, cp.opts.DiscardRaw = tenant, true
	got, err := cp.Parse(ctx, raw)
	if err != nil {
		return inbox.Inbound{}, err
	}
	got.Inbound.IntegrationID = integrationID
	return got.Inbound, nil
}
