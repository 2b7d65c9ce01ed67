// Package loadgen is a bounded HTTP load generator for inboxkit's
// benchmarks: it sends a fixed number of requests either as fast as a
// bounded pool of workers allows (closed loop, for throughput) or at a
// fixed rate (open loop, for latency under a given load), and reports
// throughput, status counts and latency percentiles.
//
// In open-loop mode each request's latency is measured from the moment it
// was scheduled, not from when a worker picked it up, so a stalled server
// cannot hide its queueing delay (no coordinated omission).
package loadgen
