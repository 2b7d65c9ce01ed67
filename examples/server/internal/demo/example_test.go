package demo_test

import (
	"context"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

func Example() {
	ctx := context.Background()
	eng, _ := inbox.New(inbox.Options{Store: memstore.New()})
	accounts, _ := auth.OpenDirectory(auth.DirectoryOptions{BcryptCost: bcrypt.MinCost})
	res, err := demo.Seed(ctx, demo.Options{Engine: eng, Accounts: accounts})
	fmt.Println(res.Seeded, res.Conversations, err)
	again, _ := demo.Seed(ctx, demo.Options{Engine: eng, Accounts: accounts})
	fmt.Println("seeded again:", again.Seeded)
	// Output:
	// true 24 <nil>
	// seeded again: false
}
