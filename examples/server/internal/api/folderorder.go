package api

import (
	"fmt"
	"net/http"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// orderFolders sets the order folders are tried in: the first folder
// whose rules match files the conversation, so an admin must be able to
// put a narrow folder before a broad one. The body lists every folder id
// once, in the new order; folders whose place changed are saved.
func (s *Server) orderFolders(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	tenant := tenantOf(p)
	existing, err := s.eng.Folders(r.Context(), tenant)
	if err != nil {
		return err
	}
	byID := make(map[string]inbox.Folder, len(existing))
	for _, f := range existing {
		byID[f.ID] = f
	}
	if len(req.IDs) != len(existing) {
		return inbox.Invalid("ids", fmt.Sprintf("must list all %d folders once (got %d)", len(existing), len(req.IDs)))
	}
	seen := make(map[string]bool, len(req.IDs))
	for i, id := range req.IDs {
		if _, ok := byID[id]; !ok || seen[id] {
			return inbox.Invalid(fmt.Sprintf("ids[%d]", i), fmt.Sprintf("%q is not a folder or is listed twice", id))
		}
		seen[id] = true
	}
	out := make([]FolderView, 0, len(req.IDs))
	for i, id := range req.IDs {
		f := byID[id]
		if f.Position != i {
			f.Position = i
			if f, err = s.eng.SaveFolder(r.Context(), tenant, f, change(p, 0)); err != nil {
				return err
			}
			s.folderChanged(tenant, f.ID)
		}
		out = append(out, folderView(f, 0))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}
