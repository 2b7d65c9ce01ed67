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
