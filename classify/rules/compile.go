package rules

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// Program is a folder's rule set compiled to expr-lang programs. It is
// immutable and safe for concurrent use.
type Program struct {
	rules   RuleSet
	active  bool
	source  string // standalone source: let bindings, then cond
	cond    string // the condition over bound variables, for bundles
	used    fieldSet
	prog    *vm.Program
	pred    predicate // the same rules in Go; nil when they hold a raw expression
	parts   []part    // children of a root "any", to explain which one matched
	desc    string
	vms     sync.Pool
	actions Actions
}

type part struct {
	desc string
	prog *vm.Program
	pred predicate
}

// Compile validates a folder's rules (the JSON of inbox.Folder.Rules) and
// compiles them once. Errors wrap inbox.ErrInvalid as an
// *inbox.FieldError naming the offending path, for example
// `rules.any[1].all[0].op: unknown operator "containz"`. Empty rules give
// a Program that never matches.
func Compile(raw []byte) (*Program, error) {
	rs, active, err := parse(raw)
	if err != nil {
		return nil, err
	}
	p := &Program{rules: rs, active: active, actions: rs.Actions}
	if !active {
		return p, nil
	}
	var used fieldSet
	cond, err := generate("rules", rs.Node, &used)
	if err != nil {
		return nil, err
	}
	p.cond, p.used = cond, used
	p.source = used.bindings() + cond
	p.desc = describe(rs.Node)
	if p.prog, err = compileExpr(p.source); err != nil {
		return nil, inbox.Invalid("rules", exprMessage(err))
	}
	p.pred = compilePredicate(rs.Node)
	if len(rs.Any) > 1 {
		for i, child := range rs.Any {
			var childUsed fieldSet
			childSrc, err := generate(fmt.Sprintf("rules.any[%d]", i), child, &childUsed)
			if err != nil {
				return nil, err
			}
			prog, err := compileExpr(childUsed.bindings() + childSrc)
			if err != nil {
				return nil, fmt.Errorf("compile rules.any[%d]: %w", i, err)
			}
			p.parts = append(p.parts, part{desc: describe(child), prog: prog, pred: compilePredicate(child)})
		}
	}
	return p, nil
}

// Active reports whether the program has conditions; an inactive program
// never matches.
func (p *Program) Active() bool { return p.active }

// Rules returns the validated rule set.
func (p *Program) Rules() RuleSet { return p.rules }

// Actions returns what a match does besides filing.
func (p *Program) Actions() Actions { return p.actions }

// Source returns the expr-lang source the rules compiled to.
func (p *Program) Source() string { return p.source }

// String describes the rules for people: subject contains "RDV" OR ...
func (p *Program) String() string { return p.desc }

// Match evaluates the rules against env. A runtime error of a raw
// expression (an index out of range...) is returned with no match, and so
// is an evaluation over its budget (the error wraps ErrBudget).
func (p *Program) Match(env *Env) (bool, error) {
	return p.MatchContext(context.Background(), env)
}

// MatchContext is Match within ctx: a raw expression's evaluation stops
// with ctx's error when ctx ends, and with ErrBudget after MaxEvalTime.
func (p *Program) MatchContext(ctx context.Context, env *Env) (bool, error) {
	return p.match(ctx, env, MaxEvalTime)
}

func (p *Program) match(ctx context.Context, env *Env, timeout time.Duration) (bool, error) {
	if !p.active {
		return false, nil
	}
	if p.pred != nil {
		return p.pred(env), nil
	}
	return p.run(ctx, p.prog, env, timeout)
}

// Explain names the condition that made env match: for a root "any"
// group the first child that matches, else the whole rule set.
func (p *Program) Explain(env *Env) string {
	return p.explain(context.Background(), env, MaxEvalTime)
}

func (p *Program) explain(ctx context.Context, env *Env, timeout time.Duration) string {
	for _, pt := range p.parts {
		if pt.pred != nil {
			if pt.pred(env) {
				return pt.desc
			}
			continue
		}
		if ok, err := p.run(ctx, pt.prog, env, timeout); err == nil && ok {
			return pt.desc
		}
	}
	return p.desc
}

func (p *Program) run(ctx context.Context, prog *vm.Program, env *Env, timeout time.Duration) (bool, error) {
	out, err := runPooled(ctx, &p.vms, prog, env, timeout)
	if err != nil {
		return false, err
	}
	ok, _ := out.(bool)
	return ok, nil
}

// runPooled runs prog on a VM from pool within the budget of one
// evaluation (budget.go); VMs keep their stacks between runs, so
// evaluation does not allocate.
func runPooled(ctx context.Context, pool *sync.Pool, prog *vm.Program, env *Env, timeout time.Duration) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	machine, _ := pool.Get().(*vm.VM)
	if machine == nil {
		machine = &vm.VM{}
	}
	vars := env.values()
	env.budget.reset(ctx, timeout)
	machine.MemoryBudget = maxEvalItems
	out, err := machine.Run(prog, vars)
	pool.Put(machine)
	if err != nil {
		return nil, fmt.Errorf("evaluate rules: %w", evalError(&env.budget, err))
	}
	return out, nil
}

// exprOptions configure every compilation the same way: the typed Env,
// the result type, a node budget (0: none), a fold() helper evaluated at
// compile time on constants, no builtin that copies without bound, and
// the budget patch that makes every run pay for its loops, scans and
// allocations (see budget.go).
func exprOptions(result expr.Option, maxNodes uint) []expr.Option {
	opts := []expr.Option{
		expr.Env(envTypes()),
		result,
		expr.MaxNodes(maxNodes),
		expr.Function("fold", func(params ...any) (any, error) {
			return textfold.Fold(params[0].(string)), nil
		}, new(func(string) string)),
		expr.Patch(foldConstants{}),
		expr.Patch(budgetPatch{}),
	}
	for _, name := range disabledBuiltins {
		opts = append(opts, expr.DisableBuiltin(name))
	}
	return append(opts, budgetOptions()...)
}

// foldConstants evaluates fold("literal") at compile time.
type foldConstants struct{}

func (foldConstants) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok || len(call.Arguments) != 1 {
		return
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != "fold" {
		return
	}
	if s, ok := call.Arguments[0].(*ast.StringNode); ok {
		ast.Patch(node, &ast.StringNode{Value: textfold.Fold(s.Value)})
	}
}

func compileExpr(src string) (*vm.Program, error) {
	return expr.Compile(src, exprOptions(expr.AsBool(), maxExprNodes)...)
}

// compileBundle compiles the chain of several folders' conditions, which
// returns an int; it has no node limit of its own, its parts were checked.
func compileBundle(src string) (*vm.Program, error) {
	return expr.Compile(src, exprOptions(expr.AsInt(), 0)...)
}

// generate translates a validated node to expr source.
func generate(path string, n Node, used *fieldSet) (string, error) {
	switch {
	case n.All != nil, n.Any != nil, n.None != nil:
		kind, children, join := "all", n.All, " && "
		if n.Any != nil {
			kind, children, join = "any", n.Any, " || "
		} else if n.None != nil {
			kind, children, join = "none", n.None, " || "
		}
		parts := make([]string, len(children))
		for i, child := range children {
			s, err := generate(fmt.Sprintf("%s.%s[%d]", path, kind, i), child, used)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		s := "(" + strings.Join(parts, join) + ")"
		if n.None != nil {
			s = "!" + s
		}
		return s, nil
	case n.Expr != "":
		if _, err := compileExpr(n.Expr); err != nil {
			return "", inbox.Invalid(path+".expr", exprMessage(err))
		}
		if reason := lintExpr(n.Expr); reason != "" {
			return "", inbox.Invalid(path+".expr", reason)
		}
		*used |= rawExpression
		// The newline ends a trailing // comment of the expression.
		return "(" + n.Expr + "\n)", nil
	default:
		used.add(n.Field)
		return condition(n), nil
	}
}

// condition translates one validated condition; values are folded like
// the Env fields they are compared with.
func condition(n Node) string {
	f := variable(n.Field)
	if fields[n.Field] == kindBool {
		b := strconv.FormatBool(n.Value.(bool))
		if n.Op == OpNotEquals {
			return "(" + f + " != " + b + ")"
		}
		return "(" + f + " == " + b + ")"
	}
	var v string
	if n.Op == OpIn {
		values := n.Value.([]string)
		quoted := make([]string, len(values))
		for i, s := range values {
			quoted[i] = quote(textfold.Fold(s))
		}
		v = "[" + strings.Join(quoted, ", ") + "]"
	} else if n.Op == OpMatches {
		pattern, _ := foldPattern(n.Value.(string)) // validated by parse
		v = quote(pattern)
	} else {
		v = quote(textfold.Fold(n.Value.(string)))
	}
	if n.Op == OpIn && fields[n.Field] == kindText && len(n.Value.([]string)) <= 8 {
		// A short list reads faster as comparisons than as a set lookup.
		values := n.Value.([]string)
		eq := make([]string, len(values))
		for i, s := range values {
			eq[i] = f + " == " + quote(textfold.Fold(s))
		}
		return "(" + strings.Join(eq, " || ") + ")"
	}
	if fields[n.Field] == kindList {
		switch n.Op {
		case OpNotContains:
			return "none(" + f + ", {# contains " + v + "})"
		case OpNotEquals:
			return "!(" + v + " in " + f + ")"
		case OpEquals:
			return "(" + v + " in " + f + ")"
		default:
			return "any(" + f + ", {" + stringTest("#", n.Op, v) + "})"
		}
	}
	return "(" + stringTest(f, n.Op, v) + ")"
}

func stringTest(subject string, op Op, v string) string {
	switch op {
	case OpContains:
		return subject + " contains " + v
	case OpNotContains:
		return "!(" + subject + " contains " + v + ")"
	case OpEquals:
		return subject + " == " + v
	case OpNotEquals:
		return subject + " != " + v
	case OpStartsWith:
		return subject + " startsWith " + v
	case OpEndsWith:
		return subject + " endsWith " + v
	case OpMatches:
		return subject + " matches " + v
	default: // OpIn
		return subject + " in " + v
	}
}

// quote writes a string literal expr reads back exactly: strconv.Quote's
// escapes (\n, \", \u00e9...) are the ones expr's lexer understands.
func quote(s string) string { return strconv.Quote(s) }

// describe renders a node for people, with the values as written.
func describe(n Node) string {
	switch {
	case n.All != nil:
		return describeGroup(n.All, " AND ")
	case n.Any != nil:
		return describeGroup(n.Any, " OR ")
	case n.None != nil:
		return "NOT " + describeGroup(n.None, " OR ")
	case n.Expr != "":
		return "expression " + truncate(n.Expr, maxDescription)
	}
	var v string
	switch val := n.Value.(type) {
	case bool:
		v = strconv.FormatBool(val)
	case []string:
		quoted := make([]string, len(val))
		for i, s := range val {
			quoted[i] = strconv.Quote(s)
		}
		v = "[" + strings.Join(quoted, ", ") + "]"
	case string:
		v = strconv.Quote(val)
	}
	return truncate(strings.ReplaceAll(string(n.Field), "_", " ")+" "+ops[n.Op]+" "+v, maxDescription)
}

func describeGroup(children []Node, join string) string {
	parts := make([]string, len(children))
	for i, child := range children {
		parts[i] = describe(child)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return truncate("("+strings.Join(parts, join)+")", maxDescription*2)
}

// exprMessage keeps expr's own message (with its position) on one line.
func exprMessage(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fmt.Sprintf("%s (line %d, column %d)", fe.Message, fe.Line, fe.Column+1)
	}
	return strings.SplitN(err.Error(), "\n", 2)[0]
}
