package rules

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	exprparser "github.com/expr-lang/expr/parser"

	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// lintExpr rejects a raw expression (that expr compiled) which can never
// do what its author means, or whose cost the budget could not bound:
//
//   - a string literal compared with a folded field that is not folded
//     itself ("Problème", "URGENT", "rendez‑vous" with U+2011), since the
//     fields are folded with textfold and such a literal never matches;
//     the same for the literal letters of a regular expression;
//   - an empty string compared with a field, which is true or false for
//     every message that lacks the field;
//   - a regular expression that is not a literal (it would be compiled
//     for every message, from message text), or one longer than
//     MaxRegexLen;
//   - a constant index out of the range of a list or string whose length
//     is known without a message;
//   - the reserved names that start with "__" (the evaluation budget's).
//
// It returns the reason, or "".
func lintExpr(src string) string {
	tree, err := exprparser.Parse(src)
	if err != nil {
		return "" // expr reports it
	}
	l := linter{}
	l.walk(tree.Node, scope{})
	return l.reason
}

// shape is what the linter knows of a value: text or a list of texts
// folded like the Env fields, or anything else.
type shape int

const (
	other shape = iota
	foldedText
	foldedList
)

type scope struct {
	lets    map[string]shape
	pointer shape // of # in the innermost predicate
}

func (s scope) with(name string, sh shape) scope {
	lets := make(map[string]shape, len(s.lets)+1)
	for k, v := range s.lets {
		lets[k] = v
	}
	lets[name] = sh
	return scope{lets: lets, pointer: s.pointer}
}

type linter struct {
	reason string
}

func (l *linter) fail(format string, args ...any) {
	if l.reason == "" {
		l.reason = fmt.Sprintf(format, args...)
	}
}

// textFields are the Env fields whose text is folded.
var textFields = map[string]bool{
	"sender_email": true, "sender_name": true, "sender_domain": true, "sender_phone": true,
	"subject": true, "body": true, "channel": true, "language": true,
}

// shapeOf tells whether n is folded text or a list of it.
func shapeOf(n ast.Node, sc scope) shape {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if textFields[n.Value] {
			return foldedText
		}
		if n.Value == "recipients" {
			return foldedList
		}
		return sc.lets[n.Value]
	case *ast.PointerNode:
		if n.Name == "" {
			return sc.pointer
		}
	case *ast.ChainNode:
		return shapeOf(n.Node, sc)
	case *ast.MemberNode:
		if n.Method {
			return other
		}
		if sh := shapeOf(n.Node, sc); sh != other {
			return foldedText // an element of a folded list, a letter of folded text
		}
	case *ast.SliceNode:
		return shapeOf(n.Node, sc)
	case *ast.ConditionalNode:
		if a := shapeOf(n.Exp1, sc); a == shapeOf(n.Exp2, sc) {
			return a
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == "fold" {
			return foldedText
		}
	case *ast.BuiltinNode:
		if len(n.Arguments) == 0 {
			return other
		}
		first := shapeOf(n.Arguments[0], sc)
		switch n.Name {
		case "trim", "trimPrefix", "trimSuffix", "lower":
			if first == foldedText {
				return foldedText
			}
		case "split", "splitAfter":
			if first == foldedText {
				return foldedList
			}
		case "filter":
			if first == foldedList {
				return foldedList
			}
		case "first", "last", "get", "find", "findLast":
			if first == foldedList {
				return foldedText
			}
		}
	}
	return other
}

// children lists the direct children of n, as ast.Walk visits them.
func children(n ast.Node) []ast.Node {
	switch n := n.(type) {
	case *ast.UnaryNode:
		return []ast.Node{n.Node}
	case *ast.BinaryNode:
		return []ast.Node{n.Left, n.Right}
	case *ast.ChainNode:
		return []ast.Node{n.Node}
	case *ast.MemberNode:
		return []ast.Node{n.Node, n.Property}
	case *ast.SliceNode:
		return []ast.Node{n.Node, n.From, n.To}
	case *ast.CallNode:
		return append([]ast.Node{n.Callee}, n.Arguments...)
	case *ast.BuiltinNode:
		return n.Arguments
	case *ast.PredicateNode:
		return []ast.Node{n.Node}
	case *ast.SequenceNode:
		return n.Nodes
	case *ast.ConditionalNode:
		return []ast.Node{n.Cond, n.Exp1, n.Exp2}
	case *ast.ArrayNode:
		return n.Nodes
	case *ast.MapNode:
		return n.Pairs
	case *ast.PairNode:
		return []ast.Node{n.Key, n.Value}
	}
	return nil
}

func (l *linter) walk(n ast.Node, sc scope) {
	if n == nil || l.reason != "" {
		return
	}
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if strings.HasPrefix(n.Value, "__") {
			l.fail("the name %s is reserved: names starting with __ belong to the evaluation budget", n.Value)
		}
	case *ast.VariableDeclaratorNode:
		l.walk(n.Value, sc)
		l.walk(n.Expr, sc.with(n.Name, shapeOf(n.Value, sc)))
		return
	case *ast.BuiltinNode:
		l.builtin(n, sc)
		if len(n.Arguments) > 0 {
			l.walk(n.Arguments[0], sc)
			inner := scope{lets: sc.lets}
			if shapeOf(n.Arguments[0], sc) == foldedList {
				inner.pointer = foldedText
			}
			for _, a := range n.Arguments[1:] {
				if _, ok := a.(*ast.PredicateNode); ok {
					l.walk(a, inner)
				} else {
					l.walk(a, sc)
				}
			}
		}
		return
	case *ast.BinaryNode:
		l.binary(n, sc)
	case *ast.MemberNode:
		l.index(n)
	}
	for _, c := range children(n) {
		l.walk(c, sc)
	}
}

// literal returns the value of a string literal (fold("…") included,
// which is folded).
func literal(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == "fold" && len(n.Arguments) == 1 {
			if s, ok := n.Arguments[0].(*ast.StringNode); ok {
				return textfold.Fold(s.Value), true
			}
		}
	}
	return "", false
}

// describeOperand names a folded operand for an error message.
func describeOperand(n ast.Node) string {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return n.Value
	case *ast.PointerNode:
		return "# (an element of a folded list)"
	}
	return "a folded field"
}

// compared checks a literal compared with folded text: it must be folded
// itself, and not empty.
func (l *linter) compared(lit string, operand ast.Node, op string) {
	if lit == "" {
		name := describeOperand(operand)
		if op == "==" || op == "!=" {
			l.fail("compares %s with an empty string, which holds for every message without one: write len(%s) %s 0 if that is what you mean", name, name, op)
		} else {
			l.fail("%s an empty string is true of every message: give a value", op)
		}
		return
	}
	if f := textfold.Fold(lit); f != lit {
		l.fail("%q can never match %s: rules see text folded (lower case, accents removed, typographic dashes, quotes and spaces made plain); write %q or fold(%q)",
			lit, describeOperand(operand), f, lit)
	}
}

func (l *linter) binary(n *ast.BinaryNode, sc scope) {
	left, right := shapeOf(n.Left, sc), shapeOf(n.Right, sc)
	switch n.Operator {
	case "==", "!=":
		if s, ok := literal(n.Right); ok && left == foldedText {
			l.compared(s, n.Left, n.Operator)
		}
		if s, ok := literal(n.Left); ok && right == foldedText {
			l.compared(s, n.Right, n.Operator)
		}
	case "contains", "startsWith", "endsWith":
		if s, ok := literal(n.Right); ok && left == foldedText {
			l.compared(s, n.Left, n.Operator)
		}
	case "in", "not in":
		if arr, ok := n.Right.(*ast.ArrayNode); ok && left == foldedText {
			for _, e := range arr.Nodes {
				if s, ok := literal(e); ok {
					l.compared(s, n.Left, "==")
				}
			}
		}
		if s, ok := literal(n.Left); ok && right == foldedList {
			l.compared(s, n.Right, "==")
		}
	case "matches", "not matches":
		pattern, ok := literal(n.Right)
		if !ok {
			l.fail("the pattern of matches must be a string literal, not computed from the message")
			return
		}
		if len(pattern) > MaxRegexLen {
			l.fail("the pattern %q is %d bytes, more than the limit of %d", truncate(pattern, 40), len(pattern), MaxRegexLen)
			return
		}
		if left == foldedText {
			if lit := unfoldedLiteral(pattern); lit != "" {
				l.fail("the pattern %q can never match %s: its letter %q is not folded (rules see text in lower case without accents); write it folded, or start the pattern with (?i) for case",
					pattern, describeOperand(n.Left), lit)
			}
		}
	}
}

// unfoldedLiteral returns a literal letter of a regular expression that
// folded text can never contain, or "".
func unfoldedLiteral(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return ""
	}
	var found string
	var visit func(*syntax.Regexp)
	visit = func(re *syntax.Regexp) {
		if found != "" {
			return
		}
		if re.Op == syntax.OpLiteral {
			for _, r := range re.Rune {
				want := r
				if re.Flags&syntax.FoldCase != 0 {
					want = unicode.ToLower(r)
				}
				if textfold.Fold(string(r)) != string(want) {
					found = string(r)
					return
				}
			}
		}
		for _, sub := range re.Sub {
			visit(sub)
		}
	}
	visit(re)
	return found
}

func (l *linter) builtin(n *ast.BuiltinNode, sc scope) {
	switch n.Name {
	case "hasPrefix", "hasSuffix", "indexOf", "lastIndexOf":
		if len(n.Arguments) == 2 && shapeOf(n.Arguments[0], sc) == foldedText {
			if s, ok := literal(n.Arguments[1]); ok {
				l.compared(s, n.Arguments[0], n.Name)
			}
		}
	}
}

// index rejects a constant index out of the range of a value whose
// length is known without a message.
func (l *linter) index(n *ast.MemberNode) {
	if n.Method {
		return
	}
	i, ok := constInt(n.Property)
	if !ok {
		return
	}
	size, ok := maxLen(n.Node)
	if !ok {
		return
	}
	if i >= size || i < -size {
		l.fail("index %d is out of range: the value indexed has at most %d elements", i, size)
	}
}

func constInt(n ast.Node) (int, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		return n.Value, true
	case *ast.UnaryNode:
		if v, ok := constInt(n.Node); ok && n.Operator == "-" {
			return -v, true
		}
	}
	return 0, false
}

// maxLen returns the largest length n can have, when it is known
// without a message.
func maxLen(n ast.Node) (int, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return len(n.Value), true
	case *ast.ArrayNode:
		return len(n.Nodes), true
	case *ast.BuiltinNode:
		if (n.Name != "split" && n.Name != "splitAfter") || len(n.Arguments) < 2 {
			return 0, false
		}
		if len(n.Arguments) == 3 {
			if limit, ok := constInt(n.Arguments[2]); ok && limit > 0 {
				return limit, true
			}
		}
		s, ok1 := n.Arguments[0].(*ast.StringNode)
		sep, ok2 := n.Arguments[1].(*ast.StringNode)
		if ok1 && ok2 {
			if sep.Value == "" {
				return utf8.RuneCountInString(s.Value), true
			}
			return strings.Count(s.Value, sep.Value) + 1, true
		}
	case *ast.SliceNode:
		from, to := 0, 0
		if n.From != nil {
			v, ok := constInt(n.From)
			if !ok || v < 0 {
				return 0, false
			}
			from = v
		}
		if n.To == nil {
			return 0, false
		}
		to, ok := constInt(n.To)
		if !ok || to < 0 {
			return 0, false
		}
		return max(to-from, 0), true
	}
	return 0, false
}
