package postgres_test

import (
	"context"
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/postgres"
)

// Example opens the store several instances share. Open migrates the
// schema under an advisory lock, so instances may start together.
func Example() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, "postgres://inboxkit@db.internal:5432/inbox?sslmode=require", postgres.Options{Schema: "inboxkit"})
	if err != nil {
		fmt.Println(err) // names host and database, never the password
		return
	}
	defer store.Close()
	eng, _ := inbox.New(inbox.Options{Store: store})
	defer eng.Close()
}
