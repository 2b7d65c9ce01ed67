package inbox

// QueuedIngests reports how many IngestOne requests of tenant wait in its
// group-commit lanes (for tests that need a queue of a known shape).
func QueuedIngests(e *Engine, tenant TenantID) int {
	c := &e.coalesce
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for id, q := range c.queues {
		if id.tenant == tenant {
			n += len(q.waiting)
		}
	}
	return n
}
