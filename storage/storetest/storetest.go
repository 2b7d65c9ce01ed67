package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// NewStoreFunc returns a fresh, empty store for one subtest and registers
// its cleanup with t.
type NewStoreFunc func(t *testing.T) driver.Store

// Run runs the conformance suite against the stores newStore returns. Each
// subtest gets a store of its own. See the package documentation for the
// rules it checks.
func Run(t *testing.T, newStore func(t *testing.T) driver.Store) {
	t.Helper()
	groups := []struct {
		name string
		run  func(t *testing.T, newStore NewStoreFunc)
	}{
		{"Tenants", testTenants},
		{"Integrations", testIntegrations},
		{"Contacts", testContacts},
		{"Folders", testFolders},
		{"Conversations", testConversations},
		{"Messages", testMessages},
		{"DedupeKeys", testDedupeKeys},
		{"ThreadKeys", testThreadKeys},
		{"Notes", testNotes},
		{"Tasks", testTasks},
		{"FollowUps", testFollowUps},
		{"Drafts", testDrafts},
		{"Outbox", testOutbox},
		{"Work", testWork},
		{"Counters", testCounters},
		{"Quarantine", testQuarantine},
		{"QuarantineKeys", testQuarantineKeys},
		{"Audit", testAudit},
		{"Notifications", testNotifications},
		{"Transactions", testTransactions},
		{"Isolation", testIsolation},
		{"ListConversations", testListConversations},
		{"Pagination", testPagination},
		{"Search", testSearch},
		{"SearchOperators", testSearchOperators},
		{"SearchNotes", testSearchNotes},
		{"Totals", testTotals},
		{"Text", testText},
		{"UnreadCounts", testUnreadCounts},
		{"ReadMarks", testReadMarks},
		{"Concurrency", testConcurrency},
		{"Features", testFeatures},
	}
	// The groups of the optional capabilities the store declares.
	features := newStore(t).Features()
	optional := []struct {
		name     string
		declared bool
		run      func(t *testing.T, newStore NewStoreFunc)
	}{
		{"Leases", features.Leases, testLeases},
		{"Knowledge", features.Knowledge, testKnowledge},
		{"Stats", features.Stats, testStats},
	}
	for _, o := range optional {
		if o.declared {
			groups = append(groups, struct {
				name string
				run  func(t *testing.T, newStore NewStoreFunc)
			}{o.name, o.run})
		} else {
			t.Logf("storetest: the store does not declare %s (driver.Features): its cases are not run", o.name)
		}
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newStore) })
	}
}

// testFeatures checks that a store declares exactly the optional
// capabilities it offers: the engine finds a capability by type assertion,
// and the suite runs the cases of the declared ones.
func testFeatures(t *testing.T, newStore NewStoreFunc) {
	h := setup(t, newStore)
	f := h.store.Features()
	_, leases := h.store.(driver.Leaser)
	_, parallel := h.store.(driver.ParallelWriter)
	var knowledge, stats bool
	h.view(func(tx driver.Tx) {
		_, knowledge = tx.(driver.KnowledgeTx)
		_, stats = tx.(driver.StatsTx)
	})
	require.Equal(t, leases, f.Leases, "Features().Leases says whether the Store is a driver.Leaser")
	require.Equal(t, parallel, f.ParallelWrites, "Features().ParallelWrites says whether the Store is a driver.ParallelWriter")
	require.Equal(t, knowledge, f.Knowledge, "Features().Knowledge says whether its Tx is a driver.KnowledgeTx")
	require.Equal(t, stats, f.Stats, "Features().Stats says whether its Tx is a driver.StatsTx")
}

// harness is one subtest's store with a tenant ready to use.
type harness struct {
	t      *testing.T
	ctx    context.Context
	store  driver.Store
	tenant inbox.TenantID
}

// defaultTenant is the tenant every harness creates.
const defaultTenant inbox.TenantID = "tenant-a"

// setup returns a fresh store holding tenant "tenant-a".
func setup(t *testing.T, newStore NewStoreFunc) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), store: newStore(t), tenant: defaultTenant}
	h.addTenant(defaultTenant)
	return h
}

// addTenant creates another tenant in the harness's store.
func (h *harness) addTenant(id inbox.TenantID) {
	h.t.Helper()
	require.NoError(h.t, h.store.CreateTenant(h.ctx, &inbox.Tenant{ID: id, Name: "Tenant " + string(id)}))
}

// update runs fn in a read-write transaction of the harness's tenant and
// requires it to commit.
func (h *harness) update(fn func(tx driver.Tx)) {
	h.t.Helper()
	h.updateIn(h.tenant, fn)
}

// updateIn is update for another tenant.
func (h *harness) updateIn(tenant inbox.TenantID, fn func(tx driver.Tx)) {
	h.t.Helper()
	require.NoError(h.t, h.store.Update(h.ctx, tenant, func(tx driver.Tx) error {
		fn(tx)
		return nil
	}))
}

// view runs fn in a read-only transaction of the harness's tenant.
func (h *harness) view(fn func(tx driver.Tx)) {
	h.t.Helper()
	h.viewIn(h.tenant, fn)
}

// viewIn is view for another tenant.
func (h *harness) viewIn(tenant inbox.TenantID, fn func(tx driver.Tx)) {
	h.t.Helper()
	require.NoError(h.t, h.store.View(h.ctx, tenant, func(tx driver.Tx) error {
		fn(tx)
		return nil
	}))
}

// conversation creates a conversation built by newConversation with mods.
func (h *harness) conversation(mods ...func(*inbox.Conversation)) inbox.Conversation {
	h.t.Helper()
	c := newConversation(mods...)
	h.update(func(tx driver.Tx) { require.NoError(h.t, tx.CreateConversation(&c)) })
	return c
}

// message inserts a message built by newMessage into conversation convID.
func (h *harness) message(convID string, mods ...func(*inbox.Message)) inbox.Message {
	h.t.Helper()
	m := newMessage(convID, mods...)
	h.update(func(tx driver.Tx) { require.NoError(h.t, tx.InsertMessage(&m)) })
	return m
}

// getConversation reads a conversation that must exist.
func (h *harness) getConversation(id string) inbox.Conversation {
	h.t.Helper()
	var c inbox.Conversation
	h.view(func(tx driver.Tx) {
		var err error
		c, err = tx.GetConversation(id)
		require.NoError(h.t, err)
	})
	return c
}

// conversationIn creates a minimal conversation in another tenant.
func (h *harness) conversationIn(tenant inbox.TenantID) inbox.Conversation {
	h.t.Helper()
	c := newConversation()
	h.updateIn(tenant, func(tx driver.Tx) { require.NoError(h.t, tx.CreateConversation(&c)) })
	return c
}
