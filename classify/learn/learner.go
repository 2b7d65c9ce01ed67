package learn

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/inboxkit/inboxkit/inbox"
)

// By is the Decision.By of the learner's decisions.
const By = "learner"

// Options configure a Learner. The zero value is ready to use.
type Options struct {
	// MinConfidence: below it the learner abstains. 0 means 0.7: across
	// companies of the labelled set the learner then files 85 % of
	// messages and 90 % of those right (inside one company, 83 % and
	// 87 %); a negative value always decides.
	MinConfidence float64
	// MinExamples is how many examples a tenant's model needs before it
	// decides anything, and MinPerFolder how many a folder needs to be
	// predicted. 0 means 10 and 2.
	MinExamples  int
	MinPerFolder int
	// MaxFeatures bounds a tenant's vocabulary; past it, features seen in
	// one example only are dropped. A feature costs about 200 bytes with
	// six folders. 0 means 200,000 (about 40 MB); a few thousand messages
	// stay well below it.
	MaxFeatures int
}

// Learner is a classifier that learns, per tenant, from the folders
// agents choose: call Learn on each manual move and Confirm on each
// automatic filing an agent kept (classify.Chain forwards both), or Train
// with history. It needs no network and costs microseconds
// per message, which makes it the default when no AI is configured.
// Models can be saved with Marshal and restored with Unmarshal.
type Learner struct {
	opts Options
	p    params // feature weights; tests may try others

	mu     sync.Mutex
	models map[inbox.TenantID]*tenantModel
}

type tenantModel struct {
	mu sync.Mutex
	m  *model
	// confirmed remembers, per conversation, the folder a confirmation
	// taught, so a conversation read, answered and resolved counts once,
	// and a later move takes the confirmation back. Not saved by Marshal.
	confirmed map[string]confirmation
}

type confirmation struct {
	folder string
	f      map[uint64]float64
}

// maxConfirmed bounds the conversations remembered per tenant; past it
// the memory starts again (a repeated confirmation then counts twice).
const maxConfirmed = 20_000

var (
	_ inbox.Classifier = (*Learner)(nil)
	_ inbox.Learner    = (*Learner)(nil)
)

// New returns a Learner with no model.
func New(opts Options) *Learner {
	if opts.MinConfidence == 0 {
		opts.MinConfidence = 0.7
	}
	if opts.MinExamples <= 0 {
		opts.MinExamples = 10
	}
	if opts.MinPerFolder <= 0 {
		opts.MinPerFolder = 2
	}
	if opts.MaxFeatures <= 0 {
		opts.MaxFeatures = 200_000
	}
	return &Learner{opts: opts, p: defaultParams, models: map[inbox.TenantID]*tenantModel{}}
}

// Name is "learner".
func (l *Learner) Name() string { return By }

func (l *Learner) tenant(id inbox.TenantID, create bool) *tenantModel {
	l.mu.Lock()
	defer l.mu.Unlock()
	tm := l.models[id]
	if tm == nil && create {
		tm = &tenantModel{m: newModel()}
		l.models[id] = tm
	}
	return tm
}

// Learn records that an agent filed the message of in into folderID by
// hand (a move). Unfiling (folderID "") teaches nothing. A move of a
// conversation that Confirm counted first replaces that confirmation.
func (l *Learner) Learn(tenant inbox.TenantID, in inbox.ClassifyInput, folderID string) {
	if folderID == "" {
		return
	}
	tm := l.tenant(tenant, true)
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if key := confirmKey(in); key != "" {
		if c, ok := tm.confirmed[key]; ok {
			tm.m.remove(c.folder, c.f)
			delete(tm.confirmed, key)
		}
	}
	tm.m.add(folderID, features(ExampleFrom(in, folderID), &l.p))
	tm.m.prune(l.opts.MaxFeatures)
}

// Confirm records that an agent kept a conversation in the folder it was
// filed in: they read it, answered it or resolved it without moving it.
// The engine should call it for conversations filed automatically (by
// rules, AI or this learner), so that the learner also learns from the
// filings that were right, not only from corrections; without it a model
// sees only its mistakes and the folders agents fix by hand. A
// conversation counts once however many times it is confirmed (keyed by
// conversation id, else message id); confirming it in another folder
// replaces the earlier confirmation, and a later move (Learn) takes it
// back.
func (l *Learner) Confirm(tenant inbox.TenantID, in inbox.ClassifyInput, folderID string) {
	if folderID == "" {
		return
	}
	key := confirmKey(in)
	tm := l.tenant(tenant, true)
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if key != "" {
		if c, ok := tm.confirmed[key]; ok {
			if c.folder == folderID {
				return
			}
			tm.m.remove(c.folder, c.f)
		}
	}
	f := features(ExampleFrom(in, folderID), &l.p)
	tm.m.add(folderID, f)
	tm.m.prune(l.opts.MaxFeatures)
	if key != "" {
		if tm.confirmed == nil || len(tm.confirmed) >= maxConfirmed {
			tm.confirmed = map[string]confirmation{}
		}
		tm.confirmed[key] = confirmation{folder: folderID, f: f}
	}
}

func confirmKey(in inbox.ClassifyInput) string {
	if in.Conversation.ID != "" {
		return "c:" + in.Conversation.ID
	}
	if in.Message.ID != "" {
		return "m:" + in.Message.ID
	}
	return ""
}

// Train adds labelled examples to the tenant's model (history, imported
// data). Examples without a folder are skipped.
func (l *Learner) Train(tenant inbox.TenantID, examples []Example) {
	tm := l.tenant(tenant, true)
	tm.mu.Lock()
	defer tm.mu.Unlock()
	for _, ex := range examples {
		if ex.FolderID == "" {
			continue
		}
		tm.m.add(ex.FolderID, features(ex, &l.p))
	}
	tm.m.prune(l.opts.MaxFeatures)
}

// Forget drops a tenant's model (for example when the tenant leaves).
func (l *Learner) Forget(tenant inbox.TenantID) {
	l.mu.Lock()
	delete(l.models, tenant)
	l.mu.Unlock()
}

// Classify predicts the folder agents would choose among the input's
// folders (all learned folders if the input lists none). It abstains
// until the model has enough examples, and when its confidence is below
// Options.MinConfidence.
func (l *Learner) Classify(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
	if err := ctx.Err(); err != nil {
		return inbox.Decision{}, err
	}
	tm := l.tenant(in.Tenant.ID, false)
	if tm == nil {
		return inbox.Decision{Reason: "nothing learned yet"}, nil
	}
	names := map[string]string{}
	for _, f := range in.Folders {
		names[f.ID] = f.Name
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	m := tm.m
	if m.n < float64(l.opts.MinExamples) {
		return inbox.Decision{Reason: fmt.Sprintf("learned from %d examples, needs %d", int(m.n), l.opts.MinExamples)}, nil
	}
	candidates := m.candidates(func(id string) bool {
		_, listed := names[id]
		return (len(names) == 0 || listed) && m.docs[m.index[id]] >= float64(l.opts.MinPerFolder)
	})
	if len(candidates) < 2 {
		return inbox.Decision{Reason: "fewer than two folders have enough examples"}, nil
	}
	best, confidence := m.predict(features(ExampleFrom(in, ""), &l.p), candidates, l.p.sharpness)
	id := m.classes[best]
	name := names[id]
	if name == "" {
		name = id
	}
	if confidence < l.opts.MinConfidence {
		return inbox.Decision{Reason: fmt.Sprintf("best guess %q at confidence %.2f, below %.2f", name, confidence, l.opts.MinConfidence)}, nil
	}
	return inbox.Decision{
		FolderID:   id,
		Confidence: confidence,
		By:         By,
		Reason:     fmt.Sprintf("resembles the %d messages agents filed in %q (confidence %.2f)", int(m.docs[best]), name, confidence),
	}, nil
}

// Stats describes a tenant's model: examples per folder id.
func (l *Learner) Stats(tenant inbox.TenantID) map[string]int {
	tm := l.tenant(tenant, false)
	out := map[string]int{}
	if tm == nil {
		return out
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	for c, id := range tm.m.classes {
		out[id] = int(tm.m.docs[c])
	}
	return out
}

// Tenants lists the tenants with a model, sorted.
func (l *Learner) Tenants() []inbox.TenantID {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]inbox.TenantID, 0, len(l.models))
	for id := range l.models {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
