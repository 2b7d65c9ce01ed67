// Package txbridge lets the engine open transactions of a storage driver.
//
// Package driver imports package inbox for the records its interfaces
// carry, so inbox cannot name driver.Tx. When package driver is
// initialised it sets Run, which opens a transaction of a driver.Store and
// hands the engine its driver.Tx as an any; the engine holds its own,
// identical view of that method set (a test in package inbox keeps the two
// equal). Every storage driver imports package driver to declare what it
// implements, so Run is set in every program that has a store.
package txbridge

import "context"

// Is reports whether store implements driver.Store.
var Is func(store any) bool

// Run runs fn in a transaction of store bound to tenant: read-write when
// write is set (driver.Store.Update), read-only otherwise
// (driver.Store.View). ok is false when store is not a driver.Store.
var Run func(ctx context.Context, store any, tenant string, write bool, fn func(tx any) error) (ok bool, err error)
