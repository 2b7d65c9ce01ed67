package chaos_test

import (
	"fmt"
	"time"

	"github.com/inboxkit/inboxkit/internal/chaos"
)

// ExampleOverlaps finds two instances that pulled one mailbox at once.
func ExampleOverlaps() {
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	pulls := []chaos.Pull{
		{Instance: "w1", Integration: "acme/support", Started: start, Finished: start.Add(2 * time.Second)},
		{Instance: "w2", Integration: "acme/support", Started: start.Add(time.Second), Finished: start.Add(3 * time.Second)},
		{Instance: "w2", Integration: "acme/sales", Started: start, Finished: start.Add(time.Second)},
	}
	for _, p := range chaos.Overlaps(pulls, nil) {
		fmt.Println(p)
	}
	// Output: acme/support: w2 started a pull at 2026-03-02T10:00:01Z while w1's ran until 2026-03-02T10:00:02Z
}
