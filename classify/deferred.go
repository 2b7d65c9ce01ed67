package classify

import (
	"github.com/inboxkit/inboxkit/inbox"
)

// deferredChain is a chain with a slow member (inbox.DeferredClassifier):
// the engine runs its fast prefix at intake and the whole chain as
// background work.
type deferredChain struct{ chain }

var _ inbox.DeferredClassifier = deferredChain{}

// Inline is the members up to the first slow one (with that member's own
// fast part), and the labellers after it: members after a slow one must
// wait for its answer, or a fallback would decide before the model is
// asked; labellers never file, so they label at intake.
func (c deferredChain) Inline() inbox.Classifier {
	var fast chain
	slow := false
	for _, cl := range c.chain {
		if slow {
			if _, ok := cl.(Labeller); ok {
				fast = append(fast, cl)
			}
			continue
		}
		if d, ok := cl.(inbox.DeferredClassifier); ok {
			if in := d.Inline(); in != nil {
				fast = append(fast, in)
			}
			slow = true
			continue
		}
		fast = append(fast, cl)
	}
	if len(fast) == 0 {
		return nil
	}
	return fast
}

func isDeferred(cs []inbox.Classifier) bool {
	for _, c := range cs {
		if _, ok := c.(inbox.DeferredClassifier); ok {
			return true
		}
	}
	return false
}

// namedDeferred is Named over a slow classifier.
type namedDeferred struct{ named }

var _ inbox.DeferredClassifier = namedDeferred{}

// Inline is the named classifier's fast part, under the same name.
func (n namedDeferred) Inline() inbox.Classifier {
	in := n.c.(inbox.DeferredClassifier).Inline()
	if in == nil {
		return nil
	}
	return Named(n.name, in)
}

// NeedsHistory forwards the wrapped classifier's answer.
func (n named) NeedsHistory() bool { return chain{n.c}.NeedsHistory() }
