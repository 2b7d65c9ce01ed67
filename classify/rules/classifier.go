package rules

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// By is the Decision.By of rule decisions.
const By = "rules"

// Options configure a Classifier. The zero value is ready to use.
type Options struct {
	// Logger receives a warning when stored rules fail to compile. Nil
	// discards logs.
	Logger *slog.Logger
	// OnInvalid, if set, is called when a folder's stored rules fail to
	// compile during classification; the folder's previous rules stay
	// active. Hosts validate with Compile or Load when rules are saved,
	// so this reports rules written behind the host's back.
	OnInvalid func(tenant inbox.TenantID, folder inbox.Folder, err error)
	// EvalTimeout is the wall time one evaluation of raw expressions may
	// take before it fails with ErrBudget; 0 means MaxEvalTime. The
	// context given to Classify can only shorten it.
	EvalTimeout time.Duration
}

// Classifier files conversations by the rules of the tenant's folders:
// folders are tried in Position order and the first whose rules match
// wins (folders whose actions say no_move only add their actions). Rules
// are compiled once per folder version and cached; when a new version is
// invalid, the previous compiled version stays active and the error is
// reported (Errors, Options.OnInvalid).
type Classifier struct {
	log       *slog.Logger
	onInvalid func(inbox.TenantID, inbox.Folder, error)
	timeout   time.Duration

	mu      sync.RWMutex
	cache   map[cacheKey]*cached
	bundles map[inbox.TenantID]*bundle
	envs    sync.Pool // of *Env, reused with their expr view
}

var (
	_ inbox.Classifier    = (*Classifier)(nil)
	_ inbox.RuleValidator = (*Classifier)(nil)
)

type cacheKey struct {
	tenant inbox.TenantID
	folder string
}

// cached is what the classifier holds for one folder: the last program
// that compiled, and the version and error of the latest attempt.
type cached struct {
	version int64
	raw     []byte
	prog    *Program
	err     error
}

// New returns a rule classifier.
func New(opts Options) *Classifier {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	timeout := opts.EvalTimeout
	if timeout <= 0 {
		timeout = MaxEvalTime
	}
	return &Classifier{log: log, onInvalid: opts.OnInvalid, timeout: timeout, cache: map[cacheKey]*cached{}, bundles: map[inbox.TenantID]*bundle{}}
}

// Load compiles a folder's rules and makes them active, typically when a
// host saves a folder. An invalid rule set returns the error (wrapping
// inbox.ErrInvalid) and leaves the previous rules active.
func (c *Classifier) Load(tenant inbox.TenantID, f inbox.Folder) error {
	_, err := c.program(tenant, f, false)
	return err
}

// ValidateRules checks a folder's rules before they are saved (the
// engine's inbox.RuleValidator hook): nil, or an error wrapping
// inbox.ErrInvalid that names the offending condition.
func (c *Classifier) ValidateRules(rules json.RawMessage) error {
	_, err := Compile(rules)
	return err
}

// Invalidate forgets a folder's compiled rules (a folder deleted, or
// rules changed outside the versioning); the next classification
// compiles them again.
func (c *Classifier) Invalidate(tenant inbox.TenantID, folderID string) {
	c.mu.Lock()
	delete(c.cache, cacheKey{tenant, folderID})
	delete(c.bundles, tenant)
	c.mu.Unlock()
}

// Errors returns, per folder id, why the tenant's latest stored rules did
// not compile (their previous version is the one in force).
func (c *Classifier) Errors(tenant inbox.TenantID) map[string]error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := map[string]error{}
	for k, e := range c.cache {
		if k.tenant == tenant && e.err != nil {
			out[k.folder] = e.err
		}
	}
	return out
}

// NeedsHistory is false: rules read the opening message, the contact and
// the conversation, never the rest of the history (inbox.HistoryNeeder).
func (c *Classifier) NeedsHistory() bool { return false }

// Classify evaluates the folders' rules against the message. It abstains
// when no folder matches. Runtime errors of raw expressions skip their
// folder, and so does a raw expression over its evaluation budget
// (ErrBudget: MaxEvalTime or Options.EvalTimeout, steps, bytes); if
// nothing matched they are returned. When ctx ends, Classify stops
// evaluating and returns ctx's error.
func (c *Classifier) Classify(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
	if err := ctx.Err(); err != nil {
		return inbox.Decision{}, err
	}
	folders := in.Folders
	if !sortedByPosition(folders) {
		folders = slices.Clone(folders)
		slices.SortStableFunc(folders, byPosition)
	}
	b := c.bundleFor(in.Tenant.ID, folders)
	progs, owners := b.progs, b.owners
	if len(progs) == 0 {
		return inbox.Decision{}, nil
	}
	env, _ := c.envs.Get().(*Env)
	if env == nil {
		env = &Env{}
	}
	env.prepare(&in, b.need) // fields are folded when a rule first reads them
	defer c.envs.Put(env)
	first, known, err := b.first(ctx, env, c.timeout)
	if err != nil {
		return inbox.Decision{}, err
	}
	var d inbox.Decision
	var reasons []string
	var errs []error
	for i, prog := range progs {
		a := &prog.actions
		if known && !a.NoMove && i != first {
			if first >= 0 && i > first {
				break
			}
			continue // the bundle found it does not match
		}
		if known && first >= 0 && i > first {
			break
		}
		f := folders[owners[i]]
		ok, err := known && i == first, error(nil) // the bundle evaluated first
		if !ok {
			ok, err = prog.match(ctx, env, c.timeout)
		}
		if err != nil {
			if ctx.Err() != nil {
				return inbox.Decision{}, ctx.Err()
			}
			errs = append(errs, fmt.Errorf("folder %q: %w", f.Name, err))
			continue
		}
		if !ok {
			continue
		}
		mergeActions(&d, *a)
		reasons = append(reasons, fmt.Sprintf("folder %q: %s", f.Name, prog.explain(ctx, env, c.timeout)))
		if !a.NoMove {
			d.FolderID = f.ID
			break
		}
	}
	if d.Abstains() {
		if len(errs) > 0 {
			return inbox.Decision{}, fmt.Errorf("rules: %w", errors.Join(errs...))
		}
		return inbox.Decision{}, nil
	}
	d.By = By
	d.Confidence = 1
	d.Reason = strings.Join(reasons, "; ")
	return d, nil
}

func sortedByPosition(folders []inbox.Folder) bool {
	for i := 1; i < len(folders); i++ {
		if folders[i].Position < folders[i-1].Position ||
			(folders[i].Position == folders[i-1].Position && folders[i].Name < folders[i-1].Name) {
			return false
		}
	}
	return true
}

func byPosition(a, b inbox.Folder) int {
	return cmp.Or(cmp.Compare(a.Position, b.Position), strings.Compare(a.Name, b.Name))
}

// mergeActions adds a match's actions to d; earlier folders win.
func mergeActions(d *inbox.Decision, a Actions) {
	if d.Status == "" {
		d.Status = a.Status
	}
	if d.Intent == "" {
		d.Intent = a.Intent
	}
	if d.Urgency == "" {
		d.Urgency = a.Urgency
	}
	if d.Assignee == "" {
		d.Assignee = a.Assign
	}
	for _, t := range a.Tags {
		if !slices.Contains(d.Tags, t) {
			d.Tags = append(d.Tags, t)
		}
	}
}

// programs returns the active programs of folders (in order) and the
// index of each one's folder, compiling what changed since last time.
func (c *Classifier) programs(tenant inbox.TenantID, folders []inbox.Folder) ([]*Program, []int) {
	progs := make([]*Program, 0, len(folders))
	owners := make([]int, 0, len(folders))
	var stale []int
	c.mu.RLock()
	for i, f := range folders {
		e := c.cache[cacheKey{tenant, f.ID}]
		if e == nil || e.version != f.Version || !bytes.Equal(e.raw, f.Rules) {
			stale = append(stale, i)
			progs = append(progs, nil)
			owners = append(owners, i)
			continue
		}
		progs = append(progs, e.prog)
		owners = append(owners, i)
	}
	c.mu.RUnlock()
	for _, i := range stale {
		progs[i], _ = c.program(tenant, folders[i], true)
	}
	n := 0
	for i, p := range progs {
		if p != nil && p.Active() {
			progs[n], owners[n] = p, owners[i]
			n++
		}
	}
	return progs[:n], owners[:n]
}

// program returns the folder's active program, compiling its rules when
// their version (or bytes) changed. When lenient, a compile error is
// reported and the previous program returned; otherwise it is returned.
func (c *Classifier) program(tenant inbox.TenantID, f inbox.Folder, lenient bool) (*Program, error) {
	key := cacheKey{tenant, f.ID}
	c.mu.RLock()
	e := c.cache[key]
	c.mu.RUnlock()
	if e != nil && e.version == f.Version && bytes.Equal(e.raw, f.Rules) {
		return e.prog, e.err
	}
	prog, err := Compile(f.Rules)
	if err != nil {
		err = fmt.Errorf("folder %q: %w", f.Name, err)
	}
	c.mu.Lock()
	cur := c.cache[key]
	next := &cached{version: f.Version, raw: bytes.Clone(f.Rules), prog: prog, err: err}
	if err != nil && cur != nil {
		next.prog = cur.prog // the last good rules stay in force
	}
	c.cache[key] = next
	c.mu.Unlock()
	if err != nil {
		c.log.Warn("classify: folder rules do not compile; previous rules stay active",
			"tenant", string(tenant), "folder", f.ID, "err", err)
		if lenient && c.onInvalid != nil {
			c.onInvalid(tenant, f, err)
		}
	}
	return next.prog, err
}
