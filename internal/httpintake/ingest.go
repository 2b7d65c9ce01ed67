package httpintake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/inboxkit/inboxkit/inbox"
)

// StoredMessage finds the message an integration already stored under a
// provider id, so a provider retry of a stored message does not fetch its
// files again. ok is false when there is none.
func StoredMessage(ctx context.Context, eng *inbox.Engine, tenant inbox.TenantID, integrationID, providerID string) (id string, ok bool, err error) {
	m, err := eng.MessageByProviderID(ctx, tenant, integrationID, providerID)
	switch {
	case errors.Is(err, inbox.ErrNotFound):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("look up message %s: %w", providerID, err)
	}
	return m.ID, true, nil
}

// PendingFiles are the blobs written for a message not yet stored: they
// are deleted when the message is not kept, so a refused or duplicate
// message leaves no files behind.
type PendingFiles struct {
	blobs inbox.BlobStore
	log   *slog.Logger
	what  string
	keys  []string
}

// NewPendingFiles tracks files written to blobs; a failed deletion is
// logged as a warning under what ("custom webhook: delete unused
// attachment").
func NewPendingFiles(blobs inbox.BlobStore, log *slog.Logger, what string) *PendingFiles {
	return &PendingFiles{blobs: blobs, log: log, what: what}
}

// Add tracks the blob of att, if it has one.
func (p *PendingFiles) Add(att inbox.Attachment) {
	if att.BlobKey != "" {
		p.keys = append(p.keys, att.BlobKey)
	}
}

// Discard deletes every tracked blob, even when ctx is done.
func (p *PendingFiles) Discard(ctx context.Context) {
	for _, k := range p.keys {
		if err := p.blobs.Delete(context.WithoutCancel(ctx), k); err != nil {
			p.log.Warn(p.what, "err", err)
		}
	}
}

// Ingest stores in through the engine and discards the pending files
// when the message was not kept: ingest failed, or it was a duplicate or
// skipped.
func (p *PendingFiles) Ingest(ctx context.Context, eng *inbox.Engine, tenant inbox.TenantID, in inbox.Inbound) (inbox.IngestItem, error) {
	item, err := eng.IngestOne(ctx, tenant, in)
	if err != nil {
		p.Discard(ctx)
		return item, err
	}
	if item.Status == inbox.IngestDuplicate || item.Status == inbox.IngestSkipped {
		p.Discard(ctx)
	}
	return item, nil
}
