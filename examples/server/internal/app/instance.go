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

// instance names this server in the store's leases; the engine keeps it
// for the life of the process. Config.Instance or INBOXKIT_INSTANCE name
// it (a pod name), so a process restarted after a crash takes back at
// once the mailboxes its previous life held instead of waiting for their
// leases to expire. On SQLite, whose data directory one process owns,
// the name is kept there. On PostgreSQL the data directory may be shared
// by every instance, so without a name each process gets a fresh one:
// two instances must never hold leases under one name.
func (a *App) instance(cfg Config) string {
	if v := strings.TrimSpace(cfg.Instance); v != "" {
		return v
	}
	if v := strings.TrimSpace(os.Getenv("INBOXKIT_INSTANCE")); v != "" {
		return v
	}
	if cfg.DataDir != "" && cfg.DB != MemoryDB && !IsPostgres(cfg.DB) {
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
