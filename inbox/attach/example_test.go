package attach_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/inboxkit/inboxkit/inbox/attach"
	"github.com/inboxkit/inboxkit/storage/blob"
)

func Example() {
	store := blob.NewMemory()
	policy := attach.Options{MaxSize: 10 << 20, Store: store, Tenant: "acme"}
	ctx := context.Background()

	csv := "ref,qty\nLUM-5521,2\n"
	res, err := attach.Validate(ctx, `C:\Users\claire\commande.csv`, "text/csv", strings.NewReader(csv), policy)
	fmt.Println(res.Attachment.Filename, res.Attachment.ContentType, res.Attachment.Size, err)

	script := "#!/bin/sh\nrm -rf ~\n"
	res, err = attach.Validate(ctx, "photo.jpg", "image/jpeg", strings.NewReader(script), policy)
	fmt.Println(res.Attachment.Rejected)
	fmt.Println(errors.Is(err, attach.ErrRejected), res.Attachment.BlobKey == "")
	// Output:
	// commande.csv text/csv 19 <nil>
	// active content (shell-script) declared as image/jpeg
	// true true
}
