package litfilter

import (
	"math/rand/v2"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStarts(t *testing.T) {
	for expr, want := range map[string][]string{
		`\b(?:odeur de gaz|fuite de gaz|gas (?:smell|leak))\b`: {"odeur de gaz", "fuite de gaz", "gas leak", "gas smell"},
		`\b(?:brule|brulee|brulant|fume)\b`:                    {"brule", "brulee", "brulant", "fume"},
		`\bhuele (?:muchisimo |mucho )?a gas`:                  {"huele "},
		`\berror 50\d`:                                         {"error 50"},
		`\bcaid[oa]\b`:                                         {"caida", "caido"},
		`\b(?:sous|dans) \d+ jours`:                            {"dans ", "sous "},
	} {
		tree, err := syntax.Parse(expr, syntax.Perl)
		require.NoError(t, err)
		got, _, ok := starts(tree.Simplify())
		require.True(t, ok, expr)
		slices.Sort(got)
		slices.Sort(want)
		// The parser may factor common prefixes: every wanted word must
		// begin with one of the strings found, and each string must
		// begin one of the words.
		for _, w := range want {
			require.True(t, slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(w, g) }), "%s: %q not covered by %q", expr, w, got)
		}
		for _, g := range got {
			require.True(t, slices.ContainsFunc(want, func(w string) bool { return strings.HasPrefix(w, g) || strings.HasPrefix(g, w) }), "%s: stray %q", expr, g)
		}
	}
	for _, expr := range []string{`(?i)urgent`, `\d+ jours`, `(?:a|b)?c`, `x*y`, `.+urgent`} {
		tree, err := syntax.Parse(expr, syntax.Perl)
		require.NoError(t, err)
		_, _, ok := starts(tree.Simplify())
		require.False(t, ok, "%s has no literal start", expr)
	}
}

// TestAnswersAsTheExpression compares MatchString with the plain
// expression's on random texts made of the expressions' own words and
// near misses.
func TestAnswersAsTheExpression(t *testing.T) {
	exprs := []string{
		`\b(?:odeur de gaz|sent (?:le|du) gaz|fuite de gaz|smell(?:s)? of gas|gas (?:smell|leak)|smell gas|nach gas|gasgeruch|huele (?:muchisimo |mucho )?a gas|olor a gas)\b`,
		`\b(?:brule|brulee|brulant|fumee|fume|etincelles?|burning|smok(?:e|ing)|sparks?|on fire|funken|humo|incendie|fire)\b`,
		`\b(?:avis de coupure|coupe(?:e|r)? le courant|down|error 50\d|erreur 50\d|cortaron|caid[oa])\b`,
		`\b(?:annul\w*|resili\w*|cancel\w*|sage\w* (?:\w+ )?ab|dar de baja|retirer \d+ licences?)\b`,
		`^[\s\p{P}]*(?:ok(?:ay)?|merci(?: beaucoup)?|stop)[\s\p{P}]*$`,
	}
	words := []string{"odeur", "de", "gaz", "gas", "smell", "smells", "of", "leak", "huele", "mucho", "a", "brule", "brulee", "fume", "fumee",
		"fire", "firewall", "down", "downtown", "error", "500", "502", "erreur", "caida", "caidx", "annulation", "cancel", "sagen", "wir",
		"ab", "dar", "baja", "retirer", "3", "licences", "ok", "okay", "merci", "beaucoup", "stop", "!", ".", "\n", "é", "sent", "le", "du"}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, expr := range exprs {
		f := MustCompile(expr)
		for range 20000 {
			n := 1 + rng.IntN(8)
			parts := make([]string, n)
			for i := range parts {
				parts[i] = words[rng.IntN(len(words))]
			}
			sep := " "
			if rng.IntN(4) == 0 {
				sep = ""
			}
			text := strings.Join(parts, sep)
			require.Equal(t, f.Regexp.MatchString(text), f.MatchString(text), "%s on %q", expr, text)
		}
	}
}
