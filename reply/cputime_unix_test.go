//go:build unix

package reply_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the test process used so far. Benchmarks
// report it per operation: on a shared machine wall-clock ns/op includes
// waiting for a core, CPU time does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
