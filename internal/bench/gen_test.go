package bench

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGeneratorIsDeterministicAndShaped(t *testing.T) {
	a := New(Options{Messages: 300, Conversations: 30, Seed: 9})
	b := New(Options{Messages: 300, Conversations: 30, Seed: 9})
	threads := map[string]bool{}
	frequent := 0
	for !a.Done() {
		x, y := a.Next(50), b.Next(50)
		require.Equal(t, x, y, "same seed, same messages")
		for _, m := range x {
			require.GreaterOrEqual(t, len(m.Text), 2<<10)
			require.Less(t, len(m.Text), 10<<10+64)
			threads[strings.TrimPrefix(m.Subject, "Re: ")] = true
			if strings.Contains(m.Text, " "+a.FrequentWords()[0]+" ") {
				frequent++
			}
		}
	}
	require.Len(t, threads, 30)
	require.Greater(t, frequent, 250, "the most frequent word is in nearly every message")
}
