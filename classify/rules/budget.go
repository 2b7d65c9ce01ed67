package rules

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm/runtime"

	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// ErrBudget is wrapped by the error of an evaluation that went over its
// budget (MaxEvalTime, or the step, byte or item limits below): the rule
// is reported as failing and files nothing.
var ErrBudget = errors.New("rule exceeds its evaluation budget")

// The budget of one evaluation of a compiled expression (one VM run: the
// bundle of a tenant's folders, or one folder's rules). Expressions from
// the condition builder never come near it; it bounds what a raw
// expression can make classification cost, whatever the message.
const (
	// MaxEvalTime is the wall time one evaluation may take, unless the
	// caller's context ends sooner (Options.EvalTimeout changes it).
	MaxEvalTime = 100 * time.Millisecond

	// maxEvalSteps bounds loop iterations (each turn of any, all, map,
	// filter, reduce...) plus regular-expression scans, charged one step
	// per 32 bytes of scanned text.
	maxEvalSteps = 200_000
	// maxEvalBytes bounds what string builtins (split, join, replace,
	// upper, lower, string, fold) and string concatenation allocate.
	maxEvalBytes = 4 << 20
	// maxEvalItems is expr's own VM memory budget (vm.MemoryBudget): the
	// elements of ranges, array and map literals, sorted lists.
	maxEvalItems = 100_000
	// clockEvery is how many steps pass between two looks at the clock
	// and the context.
	clockEvery = 16
)

// budgetName is the hidden variable of the environment through which the
// budget functions reach the budget of the current run; raw expressions
// may not name it (nor anything else starting with "__").
const budgetName = "__budget__"

// budget is what one evaluation has left. It lives in the Env (one per
// message being classified), so a run allocates nothing for it.
type budget struct {
	ctx      context.Context
	timeout  time.Duration
	deadline time.Time // zero until the first look at the clock
	steps    int
	bytes    int
	err      error // the first error, returned again by later checks
}

// reset prepares b for one run.
func (b *budget) reset(ctx context.Context, timeout time.Duration) {
	if timeout <= 0 {
		timeout = MaxEvalTime
	}
	*b = budget{ctx: ctx, timeout: timeout}
}

// step charges n steps and looks at the clock every clockEvery steps.
func (b *budget) step(n int) error {
	if b.err != nil {
		return b.err
	}
	before := b.steps
	b.steps += n
	if b.steps > maxEvalSteps {
		return b.fail(fmt.Errorf("%w: more than %d steps", ErrBudget, maxEvalSteps))
	}
	if before/clockEvery != b.steps/clockEvery || n > 1 {
		return b.clock()
	}
	return nil
}

// alloc charges n bytes about to be allocated.
func (b *budget) alloc(n int) error {
	if b.err != nil {
		return b.err
	}
	if n < 0 || n > maxEvalBytes-b.bytes {
		return b.fail(fmt.Errorf("%w: more than %d bytes", ErrBudget, maxEvalBytes))
	}
	b.bytes += n
	return b.clock()
}

// clock fails when the run's deadline or the caller's context is over.
func (b *budget) clock() error {
	if b.ctx != nil {
		select {
		case <-b.ctx.Done():
			return b.fail(b.ctx.Err())
		default:
		}
	}
	now := time.Now()
	if b.deadline.IsZero() {
		b.deadline = now.Add(b.timeout)
		return nil
	}
	if b.ctx != nil {
		if d, ok := b.ctx.Deadline(); ok && !now.Before(d) {
			return b.fail(context.DeadlineExceeded)
		}
	}
	if !now.Before(b.deadline) {
		return b.fail(fmt.Errorf("%w: ran for more than %v", ErrBudget, b.timeout))
	}
	return nil
}

func (b *budget) fail(err error) error {
	b.err = err
	return err
}

// evalError names an error of a run: the budget's own, or expr's VM
// memory budget, which expr reports as a bare panic message.
func evalError(b *budget, err error) error {
	if b.err != nil && !errors.Is(err, b.err) {
		return fmt.Errorf("%w (%v)", b.err, err)
	}
	if errors.Is(err, ErrBudget) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if strings.Contains(err.Error(), "memory budget exceeded") {
		return fmt.Errorf("%w: more than %d items in lists and ranges", ErrBudget, maxEvalItems)
	}
	return err
}

// disabledBuiltins are expr builtins raw expressions may not use: they
// make no sense on a message's fields and copy or multiply lists or
// strings in ways the budget would have to price one by one.
var disabledBuiltins = []string{
	"repeat", "toJSON", "fromJSON", "toBase64", "fromBase64",
	"concat", "flatten", "uniq", "reverse", "sort", "sortBy", "groupBy",
	"keys", "values", "toPairs", "fromPairs", "take", "median",
}

// budgetOptions are the functions the budget patch calls, each taking the
// budget as its first argument.
func budgetOptions() []expr.Option {
	arg := func(args []any, i int) (string, error) {
		s, ok := args[i].(string)
		if !ok {
			return "", fmt.Errorf("expected a string, got %T", args[i])
		}
		return s, nil
	}
	bud := func(args []any) *budget { return args[0].(*budget) }
	splitter := func(name string, split func(s, sep string, n int) []string) expr.Option {
		return expr.Function("__"+name, func(args ...any) (any, error) {
			s, err := arg(args, 1)
			if err != nil {
				return nil, err
			}
			sep, err := arg(args, 2)
			if err != nil {
				return nil, err
			}
			n := -1
			if len(args) == 4 {
				n = runtime.ToInt(args[3])
			}
			pieces := strings.Count(s, sep) + 1
			if sep == "" {
				pieces = utf8.RuneCountInString(s)
			}
			if n >= 0 && n < pieces {
				pieces = n
			}
			if err := bud(args).alloc(16 * pieces); err != nil {
				return nil, err
			}
			return split(s, sep, n), nil
		},
			new(func(*budget, string, string) []string),
			new(func(*budget, string, string, int) []string))
	}
	return []expr.Option{
		expr.Function("__tick", func(args ...any) (any, error) {
			return true, bud(args).step(1)
		}, new(func(*budget) bool)),
		expr.Function("__scan", func(args ...any) (any, error) {
			s, err := arg(args, 1)
			if err != nil {
				return nil, err
			}
			return s, bud(args).step(1 + len(s)/32)
		}, new(func(*budget, string) string)),
		splitter("split", strings.SplitN),
		splitter("splitAfter", strings.SplitAfterN),
		expr.Function("__join", func(args ...any) (any, error) {
			glue := ""
			if len(args) == 3 {
				g, err := arg(args, 2)
				if err != nil {
					return nil, err
				}
				glue = g
			}
			var parts []string
			switch list := args[1].(type) {
			case []string:
				parts = list
			case []any:
				parts = make([]string, len(list))
				for i, v := range list {
					s, ok := v.(string)
					if !ok {
						return nil, fmt.Errorf("join: element %d is a %T, not a string", i, v)
					}
					parts[i] = s
				}
			default:
				return nil, fmt.Errorf("join: expected a list of strings, got %T", args[1])
			}
			n := len(glue) * max(len(parts)-1, 0)
			for _, s := range parts {
				n += len(s)
				if n > maxEvalBytes {
					break
				}
			}
			if err := bud(args).alloc(n); err != nil {
				return nil, err
			}
			return strings.Join(parts, glue), nil
		},
			new(func(*budget, []string, string) string),
			new(func(*budget, []string) string),
			new(func(*budget, []any, string) string),
			new(func(*budget, []any) string)),
		expr.Function("__replace", func(args ...any) (any, error) {
			var s [3]string
			for i := range s {
				v, err := arg(args, i+1)
				if err != nil {
					return nil, err
				}
				s[i] = v
			}
			n := -1
			if len(args) == 5 {
				n = runtime.ToInt(args[4])
			}
			count := strings.Count(s[0], s[1])
			if n >= 0 && n < count {
				count = n
			}
			size := len(s[0]) + count*(len(s[2])-len(s[1]))
			if count > 0 && len(s[2]) > 0 && size/count < len(s[2])-len(s[1]) {
				size = -1 // overflow
			}
			if err := bud(args).alloc(max(size, 0)); err != nil {
				return nil, err
			}
			return strings.Replace(s[0], s[1], s[2], n), nil
		},
			new(func(*budget, string, string, string) string),
			new(func(*budget, string, string, string, int) string)),
		caseFunction("__upper", strings.ToUpper),
		caseFunction("__lower", strings.ToLower),
		expr.Function("__string", func(args ...any) (any, error) {
			if err := bud(args).step(1); err != nil {
				return nil, err
			}
			out := builtin.String(args[1]).(string)
			return out, bud(args).alloc(len(out))
		}, new(func(*budget, any) string)),
		expr.Function("__concat", func(args ...any) (any, error) {
			a, err := arg(args, 1)
			if err != nil {
				return nil, err
			}
			c, err := arg(args, 2)
			if err != nil {
				return nil, err
			}
			if err := bud(args).alloc(len(a) + len(c)); err != nil {
				return nil, err
			}
			return a + c, nil
		}, new(func(*budget, string, string) string)),
		expr.Function("__add", func(args ...any) (any, error) {
			a, aok := args[1].(string)
			c, cok := args[2].(string)
			if aok && cok {
				if err := bud(args).alloc(len(a) + len(c)); err != nil {
					return nil, err
				}
				return a + c, nil
			}
			return runtime.Add(args[1], args[2]), nil
		}, new(func(*budget, any, any) any)),
		expr.Function("__fold", func(args ...any) (any, error) {
			s, err := arg(args, 1)
			if err != nil {
				return nil, err
			}
			out := textfold.Fold(s)
			if len(out) > 0 && unsafe.StringData(out) != unsafe.StringData(s) {
				return out, bud(args).alloc(len(out))
			}
			return out, nil
		}, new(func(*budget, string) string)),
	}
}

func caseFunction(name string, f func(string) string) expr.Option {
	return expr.Function(name, func(args ...any) (any, error) {
		s, ok := args[1].(string)
		if !ok {
			return nil, fmt.Errorf("expected a string, got %T", args[1])
		}
		b := args[0].(*budget)
		if err := b.alloc(len(s)); err != nil {
			return nil, err
		}
		out := f(s)
		if len(out) > len(s) {
			return out, b.alloc(len(out) - len(s))
		}
		return out, nil
	}, new(func(*budget, string) string))
}

// budgetPatch rewrites a checked tree so that every cost goes through the
// budget: each turn of a loop builtin first calls __tick, the text a
// regular expression scans is charged through __scan, string builtins
// that allocate call their budgeted twin, and string concatenation
// becomes __concat (or __add when a side's type is only known at run
// time). It runs after foldConstants, so fold("literal") is a literal.
type budgetPatch struct{}

// budgeted maps builtins to their budgeted twins.
var budgeted = map[string]string{
	"split": "__split", "splitAfter": "__splitAfter", "join": "__join", "replace": "__replace",
	"upper": "__upper", "lower": "__lower", "string": "__string",
}

func budgetIdent() ast.Node { return &ast.IdentifierNode{Value: budgetName} }

func budgetCall(name string, args ...ast.Node) *ast.CallNode {
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: append([]ast.Node{budgetIdent()}, args...)}
}

func (budgetPatch) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		if twin, ok := budgeted[n.Name]; ok {
			ast.Patch(node, budgetCall(twin, n.Arguments...))
			return
		}
		for _, a := range n.Arguments {
			if p, ok := a.(*ast.PredicateNode); ok {
				p.Node = &ast.SequenceNode{Nodes: []ast.Node{budgetCall("__tick"), p.Node}}
			}
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == "fold" {
			ast.Patch(node, budgetCall("__fold", n.Arguments...))
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "matches":
			n.Left = budgetCall("__scan", n.Left)
		case "+":
			l, r := kindOfType(n.Left), kindOfType(n.Right)
			switch {
			case l == typeString && r == typeString:
				ast.Patch(node, budgetCall("__concat", n.Left, n.Right))
			case l == typeString && r == typeUnknown, l == typeUnknown && r == typeString, l == typeUnknown && r == typeUnknown:
				ast.Patch(node, budgetCall("__add", n.Left, n.Right))
			}
		}
	}
}

const (
	typeOther = iota
	typeString
	typeUnknown
)

func kindOfType(n ast.Node) int {
	t := n.Type()
	switch {
	case t == nil:
		return typeUnknown
	case t.Kind() == reflect.String:
		return typeString
	case t.Kind() == reflect.Interface:
		return typeUnknown
	}
	return typeOther
}
