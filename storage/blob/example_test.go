package blob_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/blob"
)

func Example() {
	dir, _ := os.MkdirTemp("", "blobs")
	defer os.RemoveAll(dir)

	store, err := blob.Dir(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	ctx := context.Background()
	key := inbox.NewBlobKey("acme", "attachment") // never a name from the input
	n, _ := store.Put(ctx, key, strings.NewReader("%PDF-1.7 ..."))
	fmt.Println("stored", n, "bytes")

	rc, _ := store.Get(ctx, key)
	b, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Println(string(b))

	_, err = store.Put(ctx, "../../etc/passwd", strings.NewReader("x"))
	fmt.Println(err)
	// Output:
	// stored 12 bytes
	// %PDF-1.7 ...
	// invalid blob key: contains a "." or ".." segment
}

// A writer of many blobs stages them and makes them durable with one
// Sync before it commits the records that refer to them.
func ExampleDirStore_Stage() {
	dir, _ := os.MkdirTemp("", "blobs")
	defer os.RemoveAll(dir)
	store, err := blob.Dir(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	ctx := context.Background()
	var keys []string
	for _, raw := range []string{"From: a@example.com\r\n\r\nHello", "From: b@example.com\r\n\r\nBonjour"} {
		key := inbox.NewBlobKey("acme", "raw")
		if _, err := store.Stage(ctx, key, strings.NewReader(raw)); err != nil {
			fmt.Println(err)
			return
		}
		keys = append(keys, key)
	}
	if err := store.Sync(ctx); err != nil {
		fmt.Println("not durable, commit nothing:", err)
		return
	}
	// Now commit the messages that refer to keys.
	fmt.Println(len(keys), "raw messages durable")
	// Output:
	// 2 raw messages durable
}
