package auth

import (
	"sync"
	"time"
)

// LoginLimiter slows password guessing: after Max failures for a key (an
// IP address or an email) within Window, further attempts for that key are
// refused until the oldest failure leaves the window. Successful logins
// clear the key's failures.
type LoginLimiter struct {
	Max    int
	Window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
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
	return &LoginLimiter{Max: max, Window: window, now: now, failures: map[string][]time.Time{}}
}

// Allow reports whether an attempt for every key may proceed, and if not,
// how long to wait.
func (l *LoginLimiter) Allow(keys ...string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		f := l.prune(k, now)
		if len(f) >= l.Max {
			if w := f[0].Add(l.Window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait == 0, wait
}

// Fail records a failed attempt for every key.
func (l *LoginLimiter) Fail(keys ...string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.failures[k] = append(l.prune(k, now), now)
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
