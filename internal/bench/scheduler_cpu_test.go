//go:build unix

package bench_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the benchmark process has used, so
// figures mean something on a machine shared with other work.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
