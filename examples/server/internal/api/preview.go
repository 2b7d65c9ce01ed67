package api

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// PreviewLimits bound what rule previews cost. A preview evaluates a rule
// set, raw expressions included, on recent conversations: each
// evaluation is bounded by the rules package (rules.MaxEvalTime), but a
// preview makes hundreds, and any agent may ask for one. The zero value
// of each field means its default.
type PreviewLimits struct {
	// PerTenant is how many previews of one tenant run at once; beyond,
	// 429. 0 means 2.
	PerTenant int
	// Total is how many previews run at once on the server. 0 means 4.
	Total int
	// PerMinute is how many previews a tenant may start per minute, with
	// bursts of Burst. 0 means 20 and 5.
	PerMinute, Burst int
	// MaxConversations caps the conversations one preview evaluates,
	// whatever its limit asks. 0 means 200.
	MaxConversations int
	// Timeout bounds one preview; when it passes, the preview answers
	// what it evaluated so far, marked partial. 0 means 2 seconds.
	Timeout time.Duration
	// MaxBudgetErrors stops a preview once the rules went over their
	// evaluation budget on this many messages: they will on the others.
	// 0 means 3.
	MaxBudgetErrors int
}

func (l PreviewLimits) withDefaults() PreviewLimits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.PerTenant, 2)
	def(&l.Total, 4)
	def(&l.PerMinute, 20)
	def(&l.Burst, 5)
	def(&l.MaxConversations, 200)
	def(&l.MaxBudgetErrors, 3)
	if l.Timeout <= 0 {
		l.Timeout = 2 * time.Second
	}
	return l
}

// previewGate admits previews: a token bucket per tenant for the rate,
// and counters for those running.
type previewGate struct {
	limits PreviewLimits
	now    func() time.Time

	mu      sync.Mutex
	running map[inbox.TenantID]int
	total   int
	buckets map[inbox.TenantID]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newPreviewGate(l PreviewLimits) *previewGate {
	return &previewGate{limits: l.withDefaults(), now: time.Now, running: map[inbox.TenantID]int{}, buckets: map[inbox.TenantID]*bucket{}}
}

// admit starts a preview of tenant. It returns the function that ends it,
// or nil with how long to wait and why.
func (g *previewGate) admit(tenant inbox.TenantID) (done func(), wait time.Duration, why string) {
	l := g.limits
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[tenant] >= l.PerTenant {
		return nil, time.Second, fmt.Sprintf("%d rule previews of this company are running already; retry when one has finished", l.PerTenant)
	}
	if g.total >= l.Total {
		return nil, time.Second, "the server is running as many rule previews as it may; retry in a moment"
	}
	rate := float64(l.PerMinute) / float64(time.Minute)
	b := g.buckets[tenant]
	if b == nil {
		b = &bucket{tokens: float64(l.Burst), at: now}
		g.buckets[tenant] = b
	}
	b.tokens = math.Min(float64(l.Burst), b.tokens+float64(now.Sub(b.at))*rate)
	b.at = now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / rate)
		return nil, wait, fmt.Sprintf("at most %d rule previews per minute for a company", l.PerMinute)
	}
	b.tokens--
	g.running[tenant]++
	g.total++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.running[tenant]--; g.running[tenant] <= 0 {
				delete(g.running, tenant)
			}
			g.total--
		})
	}, 0, ""
}
