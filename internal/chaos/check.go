package chaos

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Overlaps reports every pair of pulls of one mailbox by different
// instances that ran at the same time. A pull that never finished ends
// when its instance was killed (kills maps instance → time of the
// SIGKILL); one whose instance was not killed is reported as unfinished.
func Overlaps(pulls []Pull, kills map[string]time.Time) []string {
	type span struct {
		Pull
		end time.Time
	}
	var problems []string
	byMailbox := map[string][]span{}
	for _, p := range pulls {
		end := p.Finished
		if end.IsZero() {
			k, ok := kills[p.Instance]
			if !ok {
				problems = append(problems, fmt.Sprintf("pull of %s by %s started %s never finished, and %s was not killed",
					p.Integration, p.Instance, p.Started.Format(time.RFC3339Nano), p.Instance))
				continue
			}
			end = k
		}
		byMailbox[p.Integration] = append(byMailbox[p.Integration], span{p, end})
	}
	for _, mailbox := range slices.Sorted(maps.Keys(byMailbox)) {
		spans := byMailbox[mailbox]
		slices.SortFunc(spans, func(a, b span) int { return a.Started.Compare(b.Started) })
		// The latest end among earlier pulls, and whose it was.
		var lastEnd time.Time
		var lastBy string
		for _, s := range spans {
			if s.Started.Before(lastEnd) && s.Instance != lastBy {
				problems = append(problems, fmt.Sprintf("%s: %s started a pull at %s while %s's ran until %s",
					mailbox, s.Instance, s.Started.Format(time.RFC3339Nano), lastBy, lastEnd.Format(time.RFC3339Nano)))
			}
			if s.end.After(lastEnd) {
				lastEnd, lastBy = s.end, s.Instance
			}
		}
	}
	return problems
}

// Handovers reports every lease that passed to another holder before the
// previous holder's lease expired or was released.
func Handovers(log []LeaseChange) []string {
	type state struct {
		holder  string
		expires time.Time
		held    bool
	}
	var problems []string
	cur := map[string]state{}
	for _, c := range log {
		prev := cur[c.Name]
		switch c.Op {
		case "DELETE":
			cur[c.Name] = state{}
			continue
		case "INSERT":
			if prev.held {
				problems = append(problems, fmt.Sprintf("%s: inserted for %s while held by %s", c.Name, c.Holder, prev.holder))
			}
		case "UPDATE":
			if prev.held && prev.holder != c.Holder && c.At.Before(prev.expires) {
				problems = append(problems, fmt.Sprintf("%s: taken by %s at %s while %s held it until %s",
					c.Name, c.Holder, c.At.Format(time.RFC3339Nano), prev.holder, prev.expires.Format(time.RFC3339Nano)))
			}
		}
		cur[c.Name] = state{holder: c.Holder, expires: c.Expires, held: true}
	}
	return problems
}
