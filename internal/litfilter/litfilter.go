// Package litfilter speeds up regular expressions that look for one of
// many words in long text. Go's regexp scans every byte of the text with
// its automaton even when none of the words is there; a Regexp from this
// package first asks whether the text holds one of the literal strings
// every match must start with (strings.Contains, which is fast), and
// runs the expression only when it does. Answers are exactly those of
// the expression.
package litfilter

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// maxPrefixes bounds how many start strings a filter checks; an
// expression needing more is run without a filter.
const maxPrefixes = 64

// Regexp is a regular expression with a literal prefilter.
type Regexp struct {
	*regexp.Regexp
	// starts are strings one of which begins every match; nil when the
	// expression has no such set (it then always runs).
	starts []string
}

// MustCompile compiles expr like regexp.MustCompile and derives its
// filter.
func MustCompile(expr string) *Regexp {
	re := regexp.MustCompile(expr)
	r := &Regexp{Regexp: re}
	if tree, err := syntax.Parse(expr, syntax.Perl); err == nil {
		if set, _, ok := starts(tree.Simplify()); ok && len(set) > 0 {
			r.starts = set
		}
	}
	return r
}

// Filtered reports whether the expression has a prefilter.
func (r *Regexp) Filtered() bool { return r.starts != nil }

// MatchString reports whether s contains a match of the expression.
func (r *Regexp) MatchString(s string) bool {
	if r.starts != nil && !containsAny(s, r.starts) {
		return false
	}
	return r.Regexp.MatchString(s)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// starts returns strings one of which begins every match of re, and
// ok false when it cannot tell (case-insensitive parts, large classes,
// optional starts...). whole says that the strings are entire matches of
// re, so that what follows re may be appended to them. Every returned
// string is non-empty.
func starts(re *syntax.Regexp) (set []string, whole, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 || len(re.Rune) == 0 {
			return nil, false, false
		}
		return []string{string(re.Rune)}, true, true
	case syntax.OpCharClass:
		// A small class of single runes: each is a start.
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == 8 {
					return nil, false, false
				}
				out = append(out, string(r))
			}
		}
		return out, true, len(out) > 0
	case syntax.OpCapture:
		return starts(re.Sub[0])
	case syntax.OpPlus:
		set, _, ok := starts(re.Sub[0])
		return set, false, ok
	case syntax.OpRepeat:
		if re.Min < 1 {
			return nil, false, false
		}
		set, _, ok := starts(re.Sub[0])
		return set, false, ok
	case syntax.OpAlternate:
		var out []string
		whole := true
		for _, sub := range re.Sub {
			s, w, ok := starts(sub)
			if !ok {
				return nil, false, false
			}
			out = append(out, s...)
			whole = whole && w
			if len(out) > maxPrefixes {
				return nil, false, false
			}
		}
		return out, whole, true
	case syntax.OpConcat:
		set, whole := []string{""}, true
		for _, sub := range re.Sub {
			if zeroWidth(sub) {
				continue
			}
			s, w, ok := starts(sub)
			if !ok || len(set)*len(s) > maxPrefixes {
				whole = false
				break
			}
			next := make([]string, 0, len(set)*len(s))
			for _, a := range set {
				for _, b := range s {
					next = append(next, a+b)
				}
			}
			set = next
			if !w {
				whole = false
				break // sub's strings only begin its matches: stop here
			}
		}
		for _, s := range set {
			if s == "" {
				return nil, false, false
			}
		}
		return set, whole, true
	}
	return nil, false, false
}

// zeroWidth reports whether re matches only the empty string (an
// assertion such as \b or ^).
func zeroWidth(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	return false
}
