package app_test

// Regression tests for the findings of the outside security probe of the
// reference server: each reproduces the attack as the probe ran it,
// through the real HTTP handler.

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
)

// parallel sends n requests built by build at the same moment, each on a
// connection of its own, and returns their statuses and answers in order.
func parallel(t *testing.T, n int, build func(i int) *http.Request) ([]int, []*http.Response) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer hc.CloseIdleConnections()
	statuses := make([]int, n)
	answers := make([]*http.Response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		req := build(i)
		wg.Go(func() {
			<-start
			res, err := hc.Do(req)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			res.Body.Close()
			statuses[i], answers[i] = res.StatusCode, res
		})
	}
	close(start)
	wg.Wait()
	return statuses, answers
}

func countStatus(statuses []int) map[int]int {
	m := map[int]int{}
	for _, s := range statuses {
		m[s]++
	}
	return m
}

// TestParallelLoginsCannotPassTheLimit: the limiter checked before the
// password comparison and counted the failure after it, so 40 attempts
// fired at once (39 wrong, then the right password) were all checked
// (39×401 + 1×200) and 200 parallel wrong attempts never saw a 429. An
// attempt is now reserved before the comparison: beyond the limit (5),
// concurrent attempts get 429 without a password check.
func TestParallelLoginsCannotPassTheLimit(t *testing.T) {
	login := func(base, email, password string) *http.Request {
		req, err := http.NewRequest(http.MethodPost, base+"/inbox/session",
			strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		return req
	}

	// A realistic bcrypt cost, as the probe met: the comparison takes long
	// enough for every parallel attempt to pass a check made before it.
	realCost := func(c *app.Config) { c.BcryptCost = 8 }

	t.Run("39 wrong passwords and the right one", func(t *testing.T) {
		_, ts := newServerWith(t, realCost)
		statuses, answers := parallel(t, 40, func(i int) *http.Request {
			pw := "wrong-guess-" + fmt.Sprint(i)
			if i == 39 {
				pw = demo.Password
			}
			return login(ts.URL, "tom@maison-lumiere.example", pw)
		})
		n := countStatus(statuses)
		require.LessOrEqual(t, n[http.StatusUnauthorized]+n[http.StatusOK], 5, "at most the limit is checked: %v", n)
		require.GreaterOrEqual(t, n[http.StatusTooManyRequests], 35, "%v", n)
		for i, s := range statuses {
			if s == http.StatusTooManyRequests {
				require.NotEmpty(t, answers[i].Header.Get("Retry-After"))
			}
		}
	})

	t.Run("200 wrong passwords from one address", func(t *testing.T) {
		_, ts := newServerWith(t, realCost)
		statuses, _ := parallel(t, 200, func(i int) *http.Request {
			return login(ts.URL, "ines@maison-lumiere.example", "wrong-guess-"+fmt.Sprint(i))
		})
		n := countStatus(statuses)
		require.LessOrEqual(t, n[http.StatusUnauthorized], 5, "%v", n)
		require.Equal(t, 200-n[http.StatusUnauthorized], n[http.StatusTooManyRequests], "%v", n)
	})
}
