package email

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMayBeAttributionNeverHidesAMatch checks the cheap filter in front of
// the attribution patterns: a line it rules out matches none of them.
func TestMayBeAttributionNeverHidesAMatch(t *testing.T) {
	lines := []string{
		"Le 4 mars 2024 à 10:00, Client <c@example.com> a écrit :",
		"LE 4 MARS, X A ÉCRIT:", "On Mon, 4 Mar 2024, Shop wrote:", "Am 04.03.2024 schrieb Kunde:",
		"El lun, 4 mar 2024, escribió:", "Il giorno lun ha scritto:", "Op ma 4 mrt schreef:", "Em seg escreveu:",
		"-----Original Message-----", "-- Message transféré --", "--", "-",
		"De : Client", "De: Client", "From: x", "FROM:x", "Von: y", "Van: z", "Da: w", "Desde: v",
		"deſde: v", "DEſDE : v", "Deſde: v", "desdeſ: v", "leſ", "ﬀrom: x",
		"Lesson learned", "Online wrote:", "Dear customer", "Delivered", "Fromage", "Bonjour,", "Merci",
		"Léa wrote:", "élan", "", ">", "> quoted", "12:00", ":", "onwrote:", "de", "le", "from",
	}
	requireRuledOutLinesNeverMatch(t, lines)
	t.Run("corpus", func(t *testing.T) {
		var lines []string
		for _, f := range corpusFiles(t) {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			for l := range strings.SplitSeq(string(raw), "\n") {
				lines = append(lines, strings.TrimSpace(l))
			}
		}
		requireRuledOutLinesNeverMatch(t, lines)
	})
}

func requireRuledOutLinesNeverMatch(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		if mayBeAttribution(l) {
			continue
		}
		for _, p := range attributionPatterns {
			require.False(t, p.MatchString(l), "%q is ruled out but matches %s", l, p)
			require.False(t, p.MatchString(l+" a écrit :"), "%q is ruled out but matches %s when joined", l, p)
		}
	}
}
