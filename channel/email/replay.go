package email

import (
	"context"
	"io"

	"github.com/inboxkit/inboxkit/inbox"
)

var _ inbox.RawParser = (*Parser)(nil)

// ParseRaw re-reads a raw message kept in the BlobStore, for
// inbox.Engine.Replay of a quarantined message. Attachments are stored
// again under the given tenant; the raw bytes are not copied (the engine
// keeps the original RawKey). Set it as inbox.Options.Parsers[SourceEmail].
func (p *Parser) ParseRaw(ctx context.Context, tenant inbox.TenantID, integrationID string, raw io.Reader) (inbox.Inbound, error) {
	cp := *p
	cp.opts.Tenant, cp.opts.DiscardRaw = tenant, true
	got, err := cp.Parse(ctx, raw)
	if err != nil {
		return inbox.Inbound{}, err
	}
	got.Inbound.IntegrationID = integrationID
	return got.Inbound, nil
}
