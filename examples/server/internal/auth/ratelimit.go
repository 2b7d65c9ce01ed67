package auth

import (
	"database/sql"
	"sync"
	"time"
)

// LoginLimiter slows password guessing: at most Max attempts for a key (an
// IP address or an email) count within Window; further attempts for that
// key are refused until the oldest failure leaves the window.
//
// An attempt is counted before its password is compared (Reserve), so
// attempts fired in parallel cannot all pass a check made before any of
// them failed: beyond Max, concurrent attempts are refused without a
// password check. A failed attempt keeps its count for Window; a
// successful one gives its count back.
type LoginLimiter struct {
	Max    int
	Window time.Duration
	now    func() time.Time
	// db, when set, keeps failures where every server instance counts
	// them (OpenLoginLimiter); pending attempts stay per instance.
	db *sql.DB

	mu       sync.Mutex
	failures map[string][]time.Time
	// pending counts the reserved attempts of each key whose password is
	// being compared.
	pending map[string]int
}

// NewLoginLimiter returns a limiter; max 0 means 5, window 0 means 15
// minutes.
func NewLoginLimiter(max int, window time.Duration, now func() time.Time) *LoginLimiter {
	if max <= 0 {
		max = 5
	}
	if window <= 0 {
		window = 15 * time.Minute
	}
	if now == nil {
		now = time.Now
	}
	return &LoginLimiter{Max: max, Window: window, now: now, failures: map[string][]time.Time{}, pending: map[string]int{}}
}

// minWait is the Retry-After of a refusal caused by attempts still being
// checked: they end within a moment.
const minWait = time.Second

// Allow reports whether an attempt for every key may proceed, and if not,
// how long to wait. It counts nothing: a login uses Reserve.
func (l *LoginLimiter) Allow(keys ...string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	wait := l.wait(keys, now)
	return wait == 0, wait
}

// wait is how long an attempt for keys must wait; the caller holds mu.
func (l *LoginLimiter) wait(keys []string, now time.Time) time.Duration {
	var wait time.Duration
	for _, k := range keys {
		f := l.prune(k, now)
		if l.db != nil {
			f = l.sharedFailures(k, now)
		}
		if len(f)+l.pending[k] < l.Max {
			continue
		}
		w := minWait
		if len(f) > 0 {
			w = max(w, f[0].Add(l.Window).Sub(now))
		}
		wait = max(wait, w)
	}
	return wait
}

// Attempt is a login attempt counted by Reserve. Exactly one of Failed
// and Succeeded must be called once the password was compared.
type Attempt struct {
	l    *LoginLimiter
	keys []string
	once sync.Once
}

// Reserve counts an attempt for every key before its password is
// compared. It returns nil and how long to wait when any key has reached
// Max (failures in the window plus attempts being checked).
func (l *LoginLimiter) Reserve(keys ...string) (*Attempt, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if wait := l.wait(keys, now); wait > 0 {
		return nil, wait
	}
	for _, k := range keys {
		l.pending[k]++
	}
	return &Attempt{l: l, keys: keys}, 0
}

// Failed turns the reserved attempt into a failure that counts for Window.
func (a *Attempt) Failed() {
	a.once.Do(func() {
		a.l.release(a.keys)
		a.l.Fail(a.keys...)
	})
}

// Succeeded gives the reserved attempt back and clears the failures of
// the keys in clear (the account that logged in). Other keys, such as the
// client's address, keep their failures: a login to one's own account
// must not reset the count of guesses at others'.
func (a *Attempt) Succeeded(clear ...string) {
	a.once.Do(func() {
		a.l.release(a.keys)
		a.l.Succeed(clear...)
	})
}

func (l *LoginLimiter) release(keys []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if l.pending[k] <= 1 {
			delete(l.pending, k)
		} else {
			l.pending[k]--
		}
	}
}

// Fail records a failed attempt for every key.
func (l *LoginLimiter) Fail(keys ...string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.failures[k] = append(l.prune(k, now), now)
	}
	if l.db != nil {
		l.recordShared(keys, now)
	}
	if len(l.failures) > 100_000 {
		for k := range l.failures {
			if len(l.prune(k, now)) == 0 {
				delete(l.failures, k)
			}
		}
	}
}

// Succeed clears the failures of every key.
func (l *LoginLimiter) Succeed(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.failures, k)
	}
	if l.db != nil {
		l.clearShared(keys)
	}
}

func (l *LoginLimiter) prune(k string, now time.Time) []time.Time {
	f := l.failures[k]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.Window {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.failures, k)
		return nil
	}
	l.failures[k] = f
	return f
}
