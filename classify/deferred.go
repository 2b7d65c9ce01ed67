package classify

import (
	"context"

	"github.com/inboxkit/inboxkit/inbox"
)

// deferredChain is a chain with a slow member (inbox.DeferredClassifier):
// the engine runs its fast part at intake and the whole chain as
// background work.
type deferredChain struct{ chain }

var _ inbox.DeferredClassifier = deferredChain{}

// Inline is the members up to the first slow one that files (with that
// member's own fast part), and the fast labellers after it: members after
// a slow filer must wait for its answer, or a fallback would decide
// before the model is asked; labellers never file, so they label at
// intake, and a slow labeller holds nobody back. Its decisions are marked
// Pending when the background run may still add to them: always when a
// slow labeller is left out, and when nobody filed if a slow filer is.
func (c deferredChain) Inline() inbox.Classifier {
	var fast chain
	slowFiler, slowLabeller := false, false
	for _, cl := range c.chain {
		_, labeller := cl.(Labeller)
		d, deferred := cl.(inbox.DeferredClassifier)
		if slowFiler && !labeller {
			continue
		}
		if !deferred {
			fast = append(fast, cl)
			continue
		}
		if in := d.Inline(); in != nil {
			fast = append(fast, in)
		}
		if labeller {
			slowLabeller = true
		} else {
			slowFiler = true
		}
	}
	if len(fast) == 0 {
		return nil
	}
	return pendingChain{chain: fast, slowFiler: slowFiler, slowLabeller: slowLabeller}
}

// pendingChain is the fast part of a deferred chain; it marks its
// decisions Pending when the slow members still have something to say.
type pendingChain struct {
	chain
	slowFiler, slowLabeller bool
}

// Classify runs the fast members and marks the decision.
func (c pendingChain) Classify(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
	d, err := c.chain.Classify(ctx, in)
	if err == nil && (c.slowLabeller || c.slowFiler && d.FolderID == "") {
		d.Pending = true
	}
	return d, err
}

func isDeferred(cs []inbox.Classifier) bool {
	for _, c := range cs {
		if _, ok := c.(inbox.DeferredClassifier); ok {
			return true
		}
	}
	return false
}

// Background makes a classifier slow: the engine never runs it at intake,
// only as durable background work (inbox.DeferredClassifier with no fast
// part). Use it for a classifier whose cost per message would hold up
// intake — the offline Intents labeller costs about as much CPU as
// storing the message — so webhooks are answered and mailboxes synced at
// the store's speed and the labels follow within moments. In a Chain,
// members before a slow filer still file at intake, and a slow labeller
// (Background over a Labeller stays a Labeller) holds back nothing: the
// fast members' decision is stored at once, marked Pending, and the whole
// chain completes it in the background. Hosts that do not call
// inbox.Engine.Run call DoWork to run it.
//
// Background keeps the classifier's Learn, Confirm, ValidateRules,
// NeedsHistory and Name.
func Background(c inbox.Classifier) inbox.Classifier {
	b := background{named{c: c}}
	if _, ok := c.(Labeller); ok {
		return backgroundLabeller{b}
	}
	return b
}

// background is Background over a classifier.
type background struct{ named }

var (
	_ inbox.DeferredClassifier = background{}
	_ Labeller                 = backgroundLabeller{}
)

// Inline is nil: every part is slow.
func (background) Inline() inbox.Classifier { return nil }

// Name is the wrapped classifier's name, if it has one.
func (b background) Name() string {
	if n, ok := b.c.(Namer); ok {
		return n.Name()
	}
	return ""
}

// backgroundLabeller is Background over a Labeller.
type backgroundLabeller struct{ background }

func (backgroundLabeller) LabelsOnly() {}

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

// namedDeferredLabeller is Named over a slow Labeller.
type namedDeferredLabeller struct{ namedDeferred }

func (namedDeferredLabeller) LabelsOnly() {}

// NeedsHistory forwards the wrapped classifier's answer.
func (n named) NeedsHistory() bool { return chain{n.c}.NeedsHistory() }
