package email

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/inboxkit/inboxkit/inbox"
)

// errTooLarge stops a blob write that went over its size limit.
var errTooLarge = errors.New("larger than the size limit")

// streamResult reports one stream through streamBlob.
type streamResult struct {
	Size   int64
	SHA256 string
	// Stored is true when every byte reached the BlobStore.
	Stored bool
	// StoreErr is why the bytes were not stored (over the limit, or the
	// BlobStore failed).
	StoreErr error
	// ReadErr is a failure reading src after consume returned.
	ReadErr error
}

// streamBlob feeds src to consume while the same bytes are hashed, counted
// and, when store and key are set, written to the BlobStore, so a message
// or attachment is parsed and kept in one pass with bounded memory. What
// consume leaves unread is drained. Bytes beyond limit (when limit >= 0)
// are hashed and counted but not stored.
//
// With pending set, streamBlob does not wait for the store to finish
// writing: the blob is reported stored once every byte was handed over,
// and pending collects the wait, whose failure must keep the referring
// batch from being committed.
func streamBlob(ctx context.Context, store inbox.BlobStore, key string, src io.Reader, limit int64, pending *blobWaits, consume func(io.Reader) error) (streamResult, error) {
	sink := &blobSink{h: sha256.New(), limit: limit}
	done := make(chan error, 1)
	if store != nil && key != "" {
		pr, pw := io.Pipe()
		sink.pw = pw
		go func() {
			_, err := store.Put(ctx, key, pr)
			// Unblock a writer still waiting on the pipe if Put returned
			// before reading everything.
			pr.CloseWithError(cmp.Or(err, io.ErrClosedPipe))
			done <- err
		}()
	}
	tr := io.TeeReader(&stickyReader{r: src}, sink)
	var consumeErr error
	if consume != nil {
		consumeErr = consume(tr)
	}
	_, readErr := io.Copy(io.Discard, tr)

	res := streamResult{Size: sink.n, SHA256: hex.EncodeToString(sink.h.Sum(nil)), ReadErr: readErr}
	if sink.pw != nil {
		switch {
		case sink.storeErr != nil:
			sink.pw.CloseWithError(sink.storeErr)
		case readErr != nil:
			sink.pw.CloseWithError(readErr)
		default:
			sink.pw.Close()
			if pending != nil {
				pending.add(func() error {
					if err := <-done; err != nil {
						_ = store.Delete(context.WithoutCancel(ctx), key)
						return fmt.Errorf("store blob %s: %w", key, err)
					}
					return nil
				})
				res.Stored = true
				return res, consumeErr
			}
		}
		putErr := <-done
		switch {
		case sink.storeErr != nil:
			res.StoreErr = sink.storeErr
		case readErr != nil:
			res.StoreErr = readErr
		case putErr != nil:
			res.StoreErr = putErr
		default:
			res.Stored = true
		}
		if !res.Stored {
			_ = store.Delete(context.WithoutCancel(ctx), key)
		}
	}
	return res, consumeErr
}

// blobWaits collects the blob writes still running for a batch.
type blobWaits struct {
	mu    sync.Mutex
	waits []func() error
}

func (w *blobWaits) add(wait func() error) {
	w.mu.Lock()
	w.waits = append(w.waits, wait)
	w.mu.Unlock()
}

// wait blocks until every collected write is over and returns the first
// failure.
func (w *blobWaits) wait() error {
	w.mu.Lock()
	waits := w.waits
	w.waits = nil
	w.mu.Unlock()
	var first error
	for _, f := range waits {
		if err := f(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// blobSink hashes and counts every byte and forwards them to the pipe
// while under the limit. It never fails the tee: a store problem is
// recorded and the bytes keep flowing to the parser.
type blobSink struct {
	h        hash.Hash
	n        int64
	limit    int64
	pw       *io.PipeWriter
	storeErr error
}

func (s *blobSink) Write(p []byte) (int, error) {
	s.h.Write(p)
	s.n += int64(len(p))
	if s.pw != nil && s.storeErr == nil {
		if s.limit >= 0 && s.n > s.limit {
			s.storeErr = errTooLarge
			s.pw.CloseWithError(errTooLarge)
		} else if _, err := s.pw.Write(p); err != nil {
			s.storeErr = err
		}
	}
	return len(p), nil
}

// stickyReader returns the first error of r forever, never reading r
// again: an IMAP literal must not be read once it has failed, because the
// client's connection reader has moved on.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	return n, err
}
