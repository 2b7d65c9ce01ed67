package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// BlobLister is an optional BlobStore capability, found by type
// assertion, that Engine.CollectOrphanBlobs needs to find the blobs a
// crashed process left behind.
type BlobLister interface {
	// ListBlobs calls fn with every key that starts with prefix, in no
	// particular order; blobs being written are left out. An error from
	// fn stops the listing and is returned.
	ListBlobs(ctx context.Context, prefix string, fn func(key string) error) error
}

// Blob kinds the engine's channels write (NewBlobKey), and the only ones
// CollectOrphanBlobs ever deletes: blobs of other kinds belong to the
// host.
const (
	BlobKindRaw        = "raw"
	BlobKindAttachment = "attachment"
)

// DefaultOrphanGrace is how old a blob must be before CollectOrphanBlobs
// judges it: an hour, well above the longest sync (RunOptions.SyncTimeout).
const DefaultOrphanGrace = time.Hour

// OrphanOptions tune CollectOrphanBlobs. Zero values are the defaults.
type OrphanOptions struct {
	// Grace leaves alone blobs younger than this: the batch that wrote
	// them may still be committing. 0 means DefaultOrphanGrace.
	Grace time.Duration
	// Since skips blobs made before it, which earlier collections have
	// examined already. Zero means 7 days before now.
	Since time.Time
}

// OrphanReport says what CollectOrphanBlobs did.
type OrphanReport struct {
	// Examined counts the blobs old enough to judge.
	Examined int
	// Removed counts the orphans deleted.
	Removed int
	// Until is the creation time up to which every blob was judged: the
	// Since of the next collection.
	Until time.Time
}

// refSkew is how much earlier than a blob a record referring to it may
// have been given its ID, to allow for clocks that disagree between
// instances.
const refSkew = 5 * time.Minute

// CollectOrphanBlobs deletes the raw messages and attachments that no
// message and no quarantined item refers to: what a process killed
// between writing a batch's files and committing the batch left behind
// (a batch that fails cleanly removes its own). It looks only at the
// engine's own blob kinds (BlobKindRaw, BlobKindAttachment) of the store's
// tenants, made between opts.Since and now minus opts.Grace, so files a
// sync is still writing and blobs a host keeps under other kinds are
// never touched. Several instances may run it at once.
//
// It needs a BlobStore that is a BlobLister and a Store whose
// transactions are BlobRefListers; otherwise it returns ErrUnsupported
// and deletes nothing. Run calls it every RunOptions.OrphanInterval.
func (e *Engine) CollectOrphanBlobs(ctx context.Context, opts OrphanOptions) (OrphanReport, error) {
	now := e.clock.Now()
	if opts.Grace <= 0 {
		opts.Grace = DefaultOrphanGrace
	}
	if opts.Since.IsZero() {
		opts.Since = now.Add(-7 * 24 * time.Hour)
	}
	report := OrphanReport{Until: now.Add(-opts.Grace)}
	lister, ok := e.blobs.(BlobLister)
	if !ok {
		return report, fmt.Errorf("inbox: collect orphan blobs: the blob store cannot list its keys: %w", errors.ErrUnsupported)
	}
	tenants, err := e.store.ListTenants(ctx)
	if err != nil {
		return report, fmt.Errorf("inbox: collect orphan blobs: %w", err)
	}
	// Tenant ids are cleaned into key prefixes, so two tenants may share
	// one ("a.b" and "a_b"): a prefix's blobs are judged against the
	// references of all its tenants.
	byPrefix := map[string][]TenantID{}
	var prefixes []string
	for _, t := range tenants {
		p := blobKeyPart(string(t.ID))
		if byPrefix[p] == nil {
			prefixes = append(prefixes, p)
		}
		byPrefix[p] = append(byPrefix[p], t.ID)
	}
	for _, p := range prefixes {
		if err := e.collectPrefix(ctx, lister, p, byPrefix[p], opts.Since, report.Until, &report); err != nil {
			return report, err
		}
	}
	if report.Removed > 0 {
		e.log.Info("inbox: removed orphan blobs", "removed", report.Removed, "examined", report.Examined)
	}
	return report, nil
}

// collectPrefix judges the blobs of one tenant key prefix made in
// [since, until).
func (e *Engine) collectPrefix(ctx context.Context, lister BlobLister, prefix string, tenants []TenantID, since, until time.Time, report *OrphanReport) error {
	var candidates []string
	oldest := until
	for _, kind := range []string{BlobKindRaw, BlobKindAttachment} {
		err := lister.ListBlobs(ctx, prefix+"/"+kind+"/", func(key string) error {
			made, ok := idTime(key[strings.LastIndexByte(key, '/')+1:])
			if !ok || made.Before(since) || !made.Before(until) {
				return nil
			}
			candidates = append(candidates, key)
			if made.Before(oldest) {
				oldest = made
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("inbox: collect orphan blobs: list %s blobs: %w", kind, err)
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	report.Examined += len(candidates)
	live := map[string]bool{}
	from := idAt(oldest.Add(-refSkew))
	for _, tenant := range tenants {
		err := e.viewTx(ctx, tenant, func(tx storeTx) error {
			return tx.BlobRefsFrom(from, func(key string) error { live[key] = true; return nil })
		})
		if err != nil {
			return fmt.Errorf("inbox: collect orphan blobs: tenant %s: %w", tenant, err)
		}
	}
	for _, key := range candidates {
		if live[key] {
			continue
		}
		if err := e.blobs.Delete(ctx, key); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("inbox: collect orphan blobs: delete: %w", err)
		}
		report.Removed++
	}
	return nil
}

// blobKeyPart is how NewBlobKey writes one part of a key.
func blobKeyPart(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == '.' || r < 0x20 {
			return '_'
		}
		return r
	}, s)
	if s == "" {
		return "_"
	}
	return s
}

// idTime returns when NewID made id, and false if id is not one of its
// IDs.
func idTime(id string) (time.Time, bool) {
	if len(id) != 26 {
		return time.Time{}, false
	}
	b, err := idEncoding.DecodeString(id)
	if err != nil || len(b) != 16 {
		return time.Time{}, false
	}
	ms := int64(b[0])<<40 | int64(b[1])<<32 | int64(b[2])<<24 | int64(b[3])<<16 | int64(b[4])<<8 | int64(b[5])
	return time.UnixMilli(ms), true
}

// idAt is the smallest ID NewID can make at t: every ID made at or after
// t sorts at or after it.
func idAt(t time.Time) string {
	var b [16]byte
	ms := uint64(max(t.UnixMilli(), 0))
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	return idEncoding.EncodeToString(b[:])
}
