package postgres_test

import (
	"context"
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/postgres"
)

// ExampleNewBroker relays events between every instance sharing the
// database, so a message ingested on one server updates the live UIs of
// all of them.
func ExampleNewBroker() {
	dsn := "postgres://inboxkit@db.internal:5432/inbox?sslmode=require"
	broker, err := postgres.NewBroker(dsn, postgres.BrokerOptions{Schema: "inboxkit"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer broker.Close()
	fmt.Println(broker.Channel())

	var eng *inbox.Engine // inbox.New(inbox.Options{Store: store, ...})
	if eng != nil {
		go func() { _ = eng.RunBroker(context.Background(), broker) }()
	}
	// Output: inboxkit_events_inboxkit
}
