package jsonl

import (
	"context"
	"errors"
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
)

// CopyBlobs copies the blobs named by keys from one BlobStore to another;
// keys missing from src are skipped and counted in the error.
func CopyBlobs(ctx context.Context, src, dst inbox.BlobStore, keys []string) error {
	missing := 0
	for _, k := range keys {
		r, err := src.Get(ctx, k)
		if errors.Is(err, inbox.ErrNotFound) {
			missing++
			continue
		}
		if err != nil {
			return fmt.Errorf("copy blob %q: %w", k, err)
		}
		_, err = dst.Put(ctx, k, r)
		r.Close()
		if err != nil {
			return fmt.Errorf("copy blob %q: %w", k, err)
		}
	}
	if missing > 0 {
		return fmt.Errorf("copy blobs: %d of %d keys not found in the source: %w", missing, len(keys), inbox.ErrNotFound)
	}
	return nil
}
