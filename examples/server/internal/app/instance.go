package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// instance names this server in the store's leases. It is stable across
// restarts: a process restarted after a crash takes back at once the
// mailboxes its previous life held, instead of waiting for their leases
// to expire. INBOXKIT_INSTANCE names it (a pod name); with a data
// directory (SQLite: one process owns it) the name is kept there;
// otherwise "" lets the engine pick a fresh one.
func (a *App) instance(cfg Config) string {
	if v := strings.TrimSpace(os.Getenv("INBOXKIT_INSTANCE")); v != "" {
		return v
	}
	if cfg.DataDir != "" {
		if id, err := dataDirInstance(cfg.DataDir); err == nil {
			return id
		} else {
			a.log.Warn("server: instance name", "err", err)
		}
	}
	return ""
}

// dataDirInstance reads the instance name kept in dir, creating it once.
func dataDirInstance(dir string) (string, error) {
	path := filepath.Join(dir, "instance")
	raw, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(raw))) > 0 {
		return strings.TrimSpace(string(raw)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	host, _ := os.Hostname()
	id := host + "-" + hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return id, nil
}
