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
