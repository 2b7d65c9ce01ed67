package rules

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/inboxkit/inboxkit/inbox"
)

// bundle evaluates the rules of all a tenant's filing folders in order
// and finds the index (in progs) of the first folder whose rules match,
// or -1. When no filing folder has a raw expression it runs their Go
// predicates, which fold only the fields evaluation reaches; otherwise
// it is one expr program, one run per message instead of one per folder.
type bundle struct {
	stamps []stamp     // the folders it was built from, to recognise them
	progs  []*Program  // the active programs, in order
	owners []int       // index in the folder list of each program's folder
	prog   *vm.Program // nil: evaluate one by one
	native bool        // every filing program has a predicate: first runs them, not prog
	need   fieldSet    // fields any of the programs reads
	vms    sync.Pool
}

// stamp identifies a folder's rules version.
type stamp struct {
	id      string
	version int64
	size    int
}

// current reports whether folders are exactly those the bundle was built
// from (same ids, versions and rule sizes, in order), which spares a
// cache lookup per folder on the hot path. Stores bump Version on every
// update; the size check also catches rules edited without one.
func (b *bundle) current(folders []inbox.Folder) bool {
	if len(b.stamps) != len(folders) {
		return false
	}
	for i := range folders {
		f, st := &folders[i], &b.stamps[i]
		if st.version != f.Version || st.size != len(f.Rules) || st.id != f.ID {
			return false
		}
	}
	return true
}

// buildBundle compiles the chain of the programs that file (no_move ones
// are evaluated on their own). A nil prog means there is nothing to
// chain, or the chain failed to compile and callers evaluate folders one
// by one.
func buildBundle(folders []inbox.Folder, progs []*Program, owners []int) *bundle {
	b := &bundle{progs: progs, owners: owners, stamps: make([]stamp, len(folders))}
	for i, f := range folders {
		b.stamps[i] = stamp{id: f.ID, version: f.Version, size: len(f.Rules)}
	}
	var used fieldSet
	var chain strings.Builder
	n := 0
	b.native = true
	for _, p := range progs {
		b.need |= p.used
		if !p.actions.NoMove && p.pred == nil {
			b.native = false
		}
	}
	for i, p := range progs {
		if p.actions.NoMove {
			continue
		}
		used |= p.used
		chain.WriteString("(" + p.cond + ") ? " + strconv.Itoa(i) + " : ")
		n++
	}
	if n == 0 {
		return b
	}
	chain.WriteString("-1")
	prog, err := compileBundle(used.bindings() + chain.String())
	if err == nil {
		b.prog = prog
	}
	return b
}

// first returns the index of the first filing program that matches env,
// or -1; ok is false when the bundle cannot answer (then evaluate one by
// one). The error is ctx's, when it ended during the run.
func (b *bundle) first(ctx context.Context, env *Env, timeout time.Duration) (index int, ok bool, err error) {
	if b.native {
		for i, p := range b.progs {
			if !p.actions.NoMove && p.pred(env) {
				return i, true, nil
			}
		}
		return -1, true, nil
	}
	if b.prog == nil {
		return 0, false, nil
	}
	out, err := runPooled(ctx, &b.vms, b.prog, env, timeout)
	if err != nil {
		if ctx.Err() != nil {
			return 0, false, ctx.Err() // the caller gave up: so do we
		}
		return 0, false, nil // a raw expression failed: find which, one by one
	}
	i, isInt := out.(int)
	return i, isInt, nil
}

// bundleFor returns the tenant's bundle for these folders, compiling
// what changed since the last message.
func (c *Classifier) bundleFor(tenant inbox.TenantID, folders []inbox.Folder) *bundle {
	c.mu.RLock()
	b := c.bundles[tenant]
	c.mu.RUnlock()
	if b != nil && b.current(folders) {
		return b
	}
	progs, owners := c.programs(tenant, folders)
	b = buildBundle(folders, progs, owners)
	c.mu.Lock()
	c.bundles[tenant] = b
	c.mu.Unlock()
	return b
}
