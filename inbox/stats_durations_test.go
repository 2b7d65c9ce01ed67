package inbox_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// TestSummarizeDurationsSelectsAsSorting checks the selected median and
// 90th percentile against a sort, on sizes around the even/odd and
// rounding edges and on many repeated durations.
func TestSummarizeDurationsSelectsAsSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 300; n++ {
		for _, spread := range []int64{3, 1_000, int64(72 * time.Hour)} {
			ds := make([]time.Duration, n)
			for i := range ds {
				ds[i] = time.Duration(rng.Int64N(spread))
			}
			sorted := slices.Sorted(slices.Values(ds))
			var sum time.Duration
			for _, d := range sorted {
				sum += d
			}
			med := sorted[n/2]
			if n%2 == 0 {
				med = (sorted[n/2-1] + sorted[n/2]) / 2
			}
			p90 := sorted[max(0, min(int(float64(n)*0.9+0.999999)-1, n-1))]
			want := inbox.Durations{Count: n, Average: sum / time.Duration(n), Median: med, P90: p90}
			require.Equal(t, want, inbox.SummarizeDurations(ds), "n=%d spread=%d", n, spread)
		}
	}
}
