package dovecot

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Command is one command a client sent, as Dovecot's raw log recorded it.
type Command struct {
	// Session names the connection (its log file); commands of one
	// session are in the order they were sent.
	Session string
	// Tag is the client's tag; Line is the rest of the command line,
	// e.g. "UID FETCH 1:50 (UID BODY.PEEK[])". A line without a space
	// (IDLE's DONE) has an empty Tag; the lines of a literal (APPEND's
	// message) come out as commands too, so read sessions that send none.
	Tag, Line string
}

// Name is the command's name in upper case, with "UID " kept:
// "UID FETCH", "EXAMINE", "STATUS".
func (c Command) Name() string {
	f := strings.Fields(c.Line)
	if len(f) == 0 {
		return ""
	}
	name := strings.ToUpper(f[0])
	if name == "UID" && len(f) > 1 {
		name += " " + strings.ToUpper(f[1])
	}
	return name
}

// Commands returns the commands of every IMAP session so far, session by
// session in the order they started, of a server started with
// Config.RawLog. A session's log is written as the session goes, so read
// it once the client has finished (logged out or closed).
func (s *Server) Commands() ([]Command, error) {
	files, err := filepath.Glob(filepath.Join(s.Dir, "rawlog", "*.in"))
	if err != nil {
		return nil, err
	}
	type session struct {
		name  string
		start string // the first line's time, seconds.microseconds
		cmds  []Command
	}
	var sessions []session
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ses := session{name: strings.TrimSuffix(filepath.Base(f), ".in")}
		for _, line := range strings.Split(strings.TrimRight(string(data), "\r\n"), "\n") {
			line = strings.TrimRight(line, "\r")
			// Each line starts with the time it was received.
			if ts, rest, ok := strings.Cut(line, " "); ok && ts != "" && strings.Trim(ts, "0123456789.") == "" {
				if ses.start == "" {
					ses.start = ts
				}
				line = rest
			}
			tag, rest, _ := strings.Cut(line, " ")
			if rest == "" {
				// DONE.
				ses.cmds = append(ses.cmds, Command{Session: ses.name, Line: line})
				continue
			}
			ses.cmds = append(ses.cmds, Command{Session: ses.name, Tag: tag, Line: rest})
		}
		sessions = append(sessions, ses)
	}
	// Times have a fixed number of digits (until the year 2286).
	slices.SortStableFunc(sessions, func(a, b session) int { return strings.Compare(a.start, b.start) })
	var out []Command
	for _, ses := range sessions {
		out = append(out, ses.cmds...)
	}
	return out, nil
}
