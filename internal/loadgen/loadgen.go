package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Options configure a Run. Requests and NewRequest are required.
type Options struct {
	// Requests is how many requests the run sends. Required (> 0).
	Requests int
	// NewRequest builds request i (0-based). It is called from several
	// goroutines. Required.
	NewRequest func(i int) (*http.Request, error)
	// Client sends the requests. Nil: a client whose transport keeps as
	// many idle connections as there are workers.
	Client *http.Client
	// Workers bounds the requests in flight. 0: 16.
	Workers int
	// Rate, when positive, schedules requests at this many per second
	// (open loop). 0: closed loop, each worker sends its next request as
	// soon as the previous one is answered.
	Rate float64
}

// Result summarises a run.
type Result struct {
	Requests int
	// Statuses counts responses by HTTP status; transport errors count
	// under 0.
	Statuses map[int]int
	Errors   int // transport errors
	Elapsed  time.Duration
	// Throughput is answered requests per second over Elapsed.
	Throughput         float64
	P50, P90, P99, Max time.Duration
}

// OK counts 2xx responses.
func (r Result) OK() int {
	n := 0
	for s, c := range r.Statuses {
		if s >= 200 && s < 300 {
			n += c
		}
	}
	return n
}

// String is a one-line summary for benchmark logs.
func (r Result) String() string {
	return fmt.Sprintf("%d requests in %s: %.0f req/s, p50 %s, p90 %s, p99 %s, max %s, statuses %v",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.Throughput,
		r.P50.Round(10*time.Microsecond), r.P90.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond), r.Statuses)
}

// Run sends the requests and waits for every answer, or stops early when
// ctx ends (the result then covers what was answered).
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Requests <= 0 {
		return Result{}, errors.New("loadgen: Requests must be positive")
	}
	if opts.NewRequest == nil {
		return Result{}, errors.New("loadgen: NewRequest is required")
	}
	if opts.Rate < 0 {
		return Result{}, errors.New("loadgen: Rate must not be negative")
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 16
	}
	client := opts.Client
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = workers
		tr.MaxIdleConns = workers
		client = &http.Client{Transport: tr, Timeout: 30 * time.Second}
		defer tr.CloseIdleConnections()
	}

	type job struct {
		i       int
		planned time.Time
	}
	jobs := make(chan job)
	latencies := make([]time.Duration, opts.Requests)
	statuses := make([]int, opts.Requests)
	answered := make([]bool, opts.Requests)
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				start := j.planned
				if start.IsZero() {
					start = time.Now()
				}
				req, err := opts.NewRequest(j.i)
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("loadgen: build request %d: %w", j.i, err) })
					continue
				}
				resp, err := client.Do(req.WithContext(ctx))
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					statuses[j.i] = resp.StatusCode
				}
				latencies[j.i] = time.Since(start)
				answered[j.i] = ctx.Err() == nil
			}
		}()
	}

	begin := time.Now()
	var interval time.Duration
	if opts.Rate > 0 {
		interval = time.Duration(float64(time.Second) / opts.Rate)
	}
send:
	for i := range opts.Requests {
		j := job{i: i}
		if interval > 0 {
			j.planned = begin.Add(time.Duration(i) * interval)
			if d := time.Until(j.planned); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					break send
				}
			}
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
			break send
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(begin)
	if firstErr != nil {
		return Result{}, firstErr
	}

	res := Result{Statuses: map[int]int{}, Elapsed: elapsed}
	var lat []time.Duration
	for i := range opts.Requests {
		if !answered[i] {
			continue
		}
		res.Requests++
		res.Statuses[statuses[i]]++
		if statuses[i] == 0 {
			res.Errors++
		}
		lat = append(lat, latencies[i])
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		res.P50, res.P90, res.P99, res.Max = pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1]
		res.Throughput = float64(res.Requests) / elapsed.Seconds()
	}
	return res, ctx.Err()
}
