//go:build !unix

package memstore_test

import "time"

// processCPU is unavailable here: CPU-time metrics read zero.
func processCPU() time.Duration { return 0 }
