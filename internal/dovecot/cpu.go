package dovecot

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat times
// (100 on every Linux architecture Go supports).
const clockTicks = 100

// CPUTime returns the processor time (user and system) used so far by each
// live process of the server, by pid, read from /proc (Linux only), so
// benchmarks can tell the server's share of a sync from the client's on a
// busy machine. A process's time is lost when it exits: sample while the
// work runs.
func (s *Server) CPUTime() (map[int]time.Duration, error) {
	out := map[int]time.Duration{}
	if s.cmd == nil || s.cmd.Process == nil {
		return out, nil
	}
	master := s.cmd.Process.Pid
	pids := []int{master}
	// The master starts every server process itself.
	children, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(master), "task", strconv.Itoa(master), "children"))
	if err != nil {
		return nil, err
	}
	for _, f := range strings.Fields(string(children)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	for _, pid := range pids {
		raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			continue // the process ended meanwhile
		}
		// Fields after the command name, which is in parentheses and may
		// contain spaces: state ppid pgrp ... utime(14) stime(15).
		end := strings.LastIndexByte(string(raw), ')')
		if end < 0 {
			continue
		}
		f := strings.Fields(string(raw)[end+1:])
		if len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(utime+stime) * time.Second / clockTicks
	}
	return out, nil
}

// CPUWatch samples the server processes' processor time while some work
// runs: an IMAP process's time is lost once it exits, so CPUTime alone
// misses the sessions that end before it is read.
type CPUWatch struct {
	stop  chan struct{}
	done  chan struct{}
	start map[int]time.Duration
	last  map[int]time.Duration
}

// WatchCPU starts sampling every 100 ms; Stop tells the processor time
// used since.
func (s *Server) WatchCPU() *CPUWatch {
	w := &CPUWatch{stop: make(chan struct{}), done: make(chan struct{}), last: map[int]time.Duration{}}
	w.start, _ = s.CPUTime()
	go func() {
		defer close(w.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if now, err := s.CPUTime(); err == nil {
				for pid, d := range now {
					w.last[pid] = d
				}
			}
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// Stop ends the watch and returns the processor time the server used
// since it started.
func (w *CPUWatch) Stop() time.Duration {
	close(w.stop)
	<-w.done
	var used time.Duration
	for pid, d := range w.last {
		used += d - w.start[pid]
	}
	return used
}
