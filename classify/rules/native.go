package rules

import (
	"regexp"
	"strings"

	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// predicate is a rule tree without raw expressions compiled to Go. It
// gives the same answers as the expr program generated for the same
// rules (see condition), reads each field through the environment's
// lazy readers, so only the fields a message's evaluation reaches are
// folded, and does not allocate. A run of expr's VM costs more than the
// string comparisons most rules are made of.
type predicate func(*Env) bool

// compilePredicate returns n as a predicate, or nil when n contains a raw
// expression (those run on expr).
func compilePredicate(n Node) predicate {
	switch {
	case n.All != nil, n.Any != nil, n.None != nil:
		children := n.All
		if n.Any != nil {
			children = n.Any
		} else if n.None != nil {
			children = n.None
		}
		preds := make([]predicate, len(children))
		for i, child := range children {
			if preds[i] = compilePredicate(child); preds[i] == nil {
				return nil
			}
		}
		switch {
		case n.All != nil:
			return allOf(preds)
		case n.Any != nil:
			return anyOf(preds)
		default:
			either := anyOf(preds)
			return func(e *Env) bool { return !either(e) }
		}
	case n.Expr != "":
		return nil
	}
	return conditionPredicate(n)
}

func allOf(preds []predicate) predicate {
	if len(preds) == 1 {
		return preds[0]
	}
	if len(preds) == 2 {
		a, b := preds[0], preds[1]
		return func(e *Env) bool { return a(e) && b(e) }
	}
	return func(e *Env) bool {
		for _, p := range preds {
			if !p(e) {
				return false
			}
		}
		return true
	}
}

func anyOf(preds []predicate) predicate {
	if len(preds) == 1 {
		return preds[0]
	}
	if len(preds) == 2 {
		a, b := preds[0], preds[1]
		return func(e *Env) bool { return a(e) || b(e) }
	}
	return func(e *Env) bool {
		for _, p := range preds {
			if p(e) {
				return true
			}
		}
		return false
	}
}

// conditionPredicate compiles one validated condition, with its values
// folded as condition folds them.
func conditionPredicate(n Node) predicate {
	if fields[n.Field] == kindBool {
		want := n.Value.(bool)
		if n.Op == OpNotEquals {
			return func(e *Env) bool { return e.HasAttachment != want }
		}
		return func(e *Env) bool { return e.HasAttachment == want }
	}
	test := stringPredicate(n)
	if test == nil {
		return nil
	}
	if fields[n.Field] == kindList {
		switch n.Op {
		case OpNotContains, OpNotEquals:
			// none(recipients, {# contains v}) and !(v in recipients):
			// no element passes the positive test.
			return func(e *Env) bool {
				for _, r := range e.recipients() {
					if !test(r) {
						return false
					}
				}
				return true
			}
		default:
			return func(e *Env) bool {
				for _, r := range e.recipients() {
					if test(r) {
						return true
					}
				}
				return false
			}
		}
	}
	read := textReader(n.Field)
	return func(e *Env) bool { return test(read(e)) }
}

// stringPredicate tests one string against the condition's folded
// value(s). On a list field the caller asks it of every element for the
// negative operators (none contains v, v not among them) and of any
// element for the others.
func stringPredicate(n Node) func(string) bool {
	if n.Op == OpIn {
		values := n.Value.([]string)
		folded := make([]string, len(values))
		for i, s := range values {
			folded[i] = textfold.Fold(s)
		}
		if len(folded) <= 8 {
			return func(s string) bool {
				for _, v := range folded {
					if s == v {
						return true
					}
				}
				return false
			}
		}
		set := make(map[string]struct{}, len(folded))
		for _, v := range folded {
			set[v] = struct{}{}
		}
		return func(s string) bool {
			_, ok := set[s]
			return ok
		}
	}
	if n.Op == OpMatches {
		pattern, err := foldPattern(n.Value.(string))
		if err != nil {
			return nil
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil
		}
		return re.MatchString
	}
	v := textfold.Fold(n.Value.(string))
	switch n.Op {
	case OpContains:
		return func(s string) bool { return strings.Contains(s, v) }
	case OpNotContains:
		return func(s string) bool { return !strings.Contains(s, v) }
	case OpEquals:
		return func(s string) bool { return s == v }
	case OpNotEquals:
		return func(s string) bool { return s != v }
	case OpStartsWith:
		return func(s string) bool { return strings.HasPrefix(s, v) }
	case OpEndsWith:
		return func(s string) bool { return strings.HasSuffix(s, v) }
	}
	return nil
}

// textReader returns the lazy reader of a text field.
func textReader(f Field) func(*Env) string {
	switch f {
	case FieldSenderEmail:
		return (*Env).senderEmail
	case FieldSenderName:
		return (*Env).senderName
	case FieldSenderDomain:
		return (*Env).senderDomain
	case FieldSenderPhone:
		return (*Env).senderPhone
	case FieldSubject:
		return (*Env).subject
	case FieldBody:
		return (*Env).body
	case FieldChannel:
		return (*Env).channel
	default: // FieldLanguage
		return (*Env).language
	}
}
