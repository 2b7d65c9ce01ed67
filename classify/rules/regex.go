package rules

import (
	"regexp"
	"regexp/syntax"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// foldPattern rewrites a regular expression so it matches folded text:
// it becomes case-insensitive and its accented literals lose their
// accents ("problème" → "probleme"), so it agrees with the other
// operators. The result is validated by regexp.Compile.
func foldPattern(pattern string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl|syntax.FoldCase)
	if err != nil {
		return "", err
	}
	foldRegexp(re)
	folded := re.String()
	if _, err := regexp.Compile(folded); err != nil {
		return "", err
	}
	return folded, nil
}

func foldRegexp(re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpLiteral:
		var out []rune
		for _, r := range re.Rune {
			if r < utf8.RuneSelf {
				out = append(out, r)
				continue
			}
			out = append(out, []rune(textfold.Rune(r))...)
		}
		re.Rune = out
	case syntax.OpCharClass:
		// Add the folded form of the accented Latin letters a class
		// lists, so [éè] also matches the folded "e".
		n := len(re.Rune)
		for i := 0; i+1 < n; i += 2 {
			lo, hi := max(re.Rune[i], 0xC0), min(re.Rune[i+1], 0x17F)
			for r := lo; r <= hi; r++ {
				if f := []rune(textfold.Rune(r)); len(f) == 1 && f[0] != r {
					re.Rune = append(re.Rune, f[0], f[0])
				}
			}
		}
	}
	for _, sub := range re.Sub {
		foldRegexp(sub)
	}
}
