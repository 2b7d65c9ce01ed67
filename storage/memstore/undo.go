package memstore

// undoLog records how to revert each change a transaction made, so a
// failed Update is rolled back by replaying it backwards. Records are
// never mutated in place: a change replaces a map entry (or a slice
// header), and the undo restores the previous one.
type undoLog []func()

// rollback reverts every recorded change, newest first.
func (u *undoLog) rollback() {
	for i := len(*u) - 1; i >= 0; i-- {
		(*u)[i]()
	}
	*u = nil
}

// put sets m[k] = v, remembering the previous entry.
func put[K comparable, V any](u *undoLog, m map[K]V, k K, v V) {
	old, had := m[k]
	*u = append(*u, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
	m[k] = v
}

// del deletes m[k], remembering the entry.
func del[K comparable, V any](u *undoLog, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	*u = append(*u, func() { m[k] = old })
	delete(m, k)
}

// idSet is a set of record ids.
type idSet map[string]struct{}

// addTo adds id to the set idx[k], creating it when needed.
func addTo[K comparable](u *undoLog, idx map[K]idSet, k K, id string) {
	set, ok := idx[k]
	if !ok {
		set = idSet{}
		put(u, idx, k, set)
	}
	put(u, set, id, struct{}{})
}

// removeFrom removes id from the set idx[k], dropping an emptied set.
func removeFrom[K comparable](u *undoLog, idx map[K]idSet, k K, id string) {
	set, ok := idx[k]
	if !ok {
		return
	}
	del(u, set, id)
	if len(set) == 0 {
		del(u, idx, k)
	}
}

// appendID appends id to the list idx[k]. Appending in place is safe: the
// undo restores the shorter slice header and nothing else shares the
// backing array's tail.
func appendID[K comparable](u *undoLog, idx map[K][]string, k K, id string) {
	put(u, idx, k, append(idx[k], id))
}

// removeID removes id from the list idx[k] by building a new slice, so the
// old one stays intact for the undo.
func removeID[K comparable](u *undoLog, idx map[K][]string, k K, id string) {
	list, ok := idx[k]
	if !ok {
		return
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if v != id {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		del(u, idx, k)
		return
	}
	put(u, idx, k, out)
}
