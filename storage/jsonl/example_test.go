package jsonl_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/jsonl"
	"github.com/inboxkit/inboxkit/storage/sqlite"
)

// Example copies a tenant from one SQLite file to another; the same calls
// move it to a postgres.Store.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "jsonl-example")
	defer os.RemoveAll(dir)
	src, _ := sqlite.Open(ctx, filepath.Join(dir, "old.db"), sqlite.Options{})
	defer src.Close()
	dst, _ := sqlite.Open(ctx, filepath.Join(dir, "new.db"), sqlite.Options{})
	defer dst.Close()

	_ = src.CreateTenant(ctx, &inbox.Tenant{ID: "acme", Name: "Acme"})
	_ = src.Update(ctx, "acme", func(tx driver.Tx) error {
		return tx.CreateFolder(&inbox.Folder{Name: "Ventes"})
	})

	var buf bytes.Buffer
	if _, err := jsonl.Export(ctx, src, "acme", &buf); err != nil {
		fmt.Println(err)
		return
	}
	st, err := jsonl.Import(ctx, dst, &buf, jsonl.ImportOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Records["tenant"], "tenant,", st.Records["folder"], "folder")
	// Output: 1 tenant, 1 folder
}
