package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

func itoa(i int) string { return strconv.Itoa(i) }

// knowledgeTx returns the store's knowledge base, or ErrUnsupported.
func knowledgeTx(tx inbox.Tx) (inbox.KnowledgeTx, error) {
	k, ok := tx.(inbox.KnowledgeTx)
	if !ok {
		return nil, fmt.Errorf("this store keeps no knowledge base: %w", inbox.ErrUnsupported)
	}
	return k, nil
}

func (s *Server) listKnowledge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var out []KnowledgeView
	err := s.eng.Store().View(r.Context(), tenantOf(p), func(tx inbox.Tx) error {
		k, err := knowledgeTx(tx)
		if err != nil {
			return err
		}
		docs, err := k.ListKnowledgeDocs()
		out = mapSlice(docs, knowledgeView)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) getKnowledge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	var d inbox.KnowledgeDoc
	err := s.eng.Store().View(r.Context(), tenantOf(p), func(tx inbox.Tx) error {
		k, err := knowledgeTx(tx)
		if err != nil {
			return err
		}
		d, err = k.GetKnowledgeDoc(id)
		return notFoundAs("document", id, err)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, knowledgeView(d))
	return nil
}

type knowledgeRequest struct {
	Title   string `json:"title"`
	Format  string `json:"format"`
	Body    string `json:"body"`
	Version int64  `json:"version"`
}

func (req *knowledgeRequest) validate() error {
	req.Title = strings.TrimSpace(req.Title)
	switch {
	case req.Title == "" || len(req.Title) > 300:
		return inbox.Invalid("title", "must be 1-300 bytes")
	case strings.TrimSpace(req.Body) == "":
		return inbox.Invalid("body", "is empty")
	case len(req.Body) > 1<<20 || !utf8.ValidString(req.Body):
		return inbox.Invalid("body", "must be valid UTF-8 of at most 1 MiB")
	}
	switch req.Format {
	case "":
		req.Format = "text"
	case "text", "markdown", "html":
	default:
		return inbox.Invalid("format", "must be text, markdown or html")
	}
	return nil
}

// chunk splits a document into passages of about 800 bytes along
// paragraph boundaries, the unit of retrieval.
func chunk(d inbox.KnowledgeDoc) []inbox.KnowledgeChunk {
	const target = 800
	var chunks []inbox.KnowledgeChunk
	var cur strings.Builder
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			chunks = append(chunks, inbox.KnowledgeChunk{ID: inbox.NewID(), DocID: d.ID, Title: d.Title, Text: t, Position: len(chunks)})
		}
		cur.Reset()
	}
	for _, para := range strings.Split(d.Body, "\n\n") {
		if cur.Len() > 0 && cur.Len()+len(para) > target {
			flush()
		}
		cur.WriteString(para)
		cur.WriteString("\n\n")
	}
	flush()
	return chunks
}

func (s *Server) saveKnowledge(r *http.Request, p auth.Principal, id string, req knowledgeRequest) (inbox.KnowledgeDoc, error) {
	if err := req.validate(); err != nil {
		return inbox.KnowledgeDoc{}, err
	}
	var d inbox.KnowledgeDoc
	err := s.eng.Store().Update(r.Context(), tenantOf(p), func(tx inbox.Tx) error {
		k, err := knowledgeTx(tx)
		if err != nil {
			return err
		}
		now := s.now()
		action := "knowledge.create"
		if id != "" {
			if d, err = k.GetKnowledgeDoc(id); err != nil {
				return notFoundAs("document", id, err)
			}
			if req.Version != 0 && req.Version != d.Version {
				return fmt.Errorf("document %q changed since version %d: %w", id, req.Version, inbox.ErrConflict)
			}
			action = "knowledge.update"
		} else {
			d = inbox.KnowledgeDoc{ID: inbox.NewID(), TenantID: tenantOf(p), CreatedAt: now}
		}
		d.Title, d.Format, d.Body, d.UpdatedAt = req.Title, req.Format, req.Body, now
		if err := k.PutKnowledgeDoc(&d, chunk(d)); err != nil {
			return err
		}
		return tx.AppendAudit(inbox.AuditEntry{TenantID: tenantOf(p), Actor: p.Actor, Action: action, EntityType: "knowledge",
			EntityID: d.ID, After: mustJSON(map[string]string{"title": d.Title}), At: now})
	})
	return d, err
}

func (s *Server) createKnowledge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req knowledgeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d, err := s.saveKnowledge(r, p, "", req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, knowledgeView(d))
	return nil
}

func (s *Server) putKnowledge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req knowledgeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d, err := s.saveKnowledge(r, p, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, knowledgeView(d))
	return nil
}

func (s *Server) deleteKnowledge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	err := s.eng.Store().Update(r.Context(), tenantOf(p), func(tx inbox.Tx) error {
		k, err := knowledgeTx(tx)
		if err != nil {
			return err
		}
		if _, err := k.GetKnowledgeDoc(id); err != nil {
			return notFoundAs("document", id, err)
		}
		if err := k.DeleteKnowledgeDoc(id); err != nil {
			return err
		}
		return tx.AppendAudit(inbox.AuditEntry{TenantID: tenantOf(p), Actor: p.Actor, Action: "knowledge.delete", EntityType: "knowledge",
			EntityID: id, At: s.now()})
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
