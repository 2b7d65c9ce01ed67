package email

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSpoolBlobsWritesEverythingBeforeFlushReturns(t *testing.T) {
	store := newMemBlobs()
	s := newSpoolBlobs(store, t.TempDir(), 4)
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		n, err := s.Put(ctx, fmt.Sprintf("t/raw/%d", i), strings.NewReader(strings.Repeat("x", i)))
		require.NoError(t, err)
		require.Equal(t, int64(i), n)
	}
	require.NoError(t, s.Flush())
	require.Equal(t, 50, store.len())
	rc, err := s.Get(ctx, "t/raw/7")
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	require.Equal(t, "xxxxxxx", string(b))

	// A delete right after a put never loses to the background write.
	_, err = s.Put(ctx, "t/raw/late", strings.NewReader("late"))
	require.NoError(t, err)
	require.NoError(t, s.Delete(ctx, "t/raw/late"))
	require.NoError(t, s.Flush())
	_, err = store.Get(ctx, "t/raw/late")
	require.Error(t, err)
}

func TestSpoolBlobsReportsStoreFailuresAtFlush(t *testing.T) {
	s := newSpoolBlobs(&failingBlobs{}, t.TempDir(), 2)
	_, err := s.Put(context.Background(), "t/raw/1", strings.NewReader("data"))
	require.NoError(t, err, "the write happens in the background")
	err = s.Flush()
	require.ErrorContains(t, err, "disk full")
	require.NoError(t, s.Flush(), "a failure is reported once")
	require.False(t, errors.Is(err, context.Canceled))
}
