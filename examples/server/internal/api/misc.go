package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// statsQuery reads the range, granularity and time zone of statistics.
func (s *Server) statsQuery(r *http.Request) (inbox.StatsQuery, error) {
	from, err := queryTime(r, "from")
	if err != nil {
		return inbox.StatsQuery{}, err
	}
	to, err := queryTime(r, "to")
	if err != nil {
		return inbox.StatsQuery{}, err
	}
	if to.IsZero() {
		to = s.now().Add(time.Minute)
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -30)
	}
	if !from.Before(to) {
		return inbox.StatsQuery{}, inbox.Invalid("from", "must be before to")
	}
	g := inbox.Granularity(r.URL.Query().Get("granularity"))
	switch g {
	case "", inbox.ByDay, inbox.ByWeek, inbox.ByMonth:
	default:
		return inbox.StatsQuery{}, inbox.Invalid("granularity", "must be day, week or month")
	}
	return inbox.StatsQuery{From: from, To: to, Granularity: g, TimeZone: r.URL.Query().Get("tz")}, nil
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q, err := s.statsQuery(r)
	if err != nil {
		return err
	}
	st, err := s.eng.Stats(r.Context(), tenantOf(p), q)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for id := range st.ByAgent {
		if id != "" {
			names[id] = s.eng.EmployeeName(r.Context(), tenantOf(p), id)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": q.From, "to": q.To, "stats": st, "agent_names": names})
	return nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	limit, err := queryInt(r, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	since, err := queryTime(r, "since")
	if err != nil {
		return err
	}
	until, err := queryTime(r, "until")
	if err != nil {
		return err
	}
	q := inbox.AuditQuery{ConversationID: r.URL.Query().Get("conversation"), EntityID: r.URL.Query().Get("entity"), Since: since, Until: until, Limit: limit}
	es, err := s.eng.Audit(r.Context(), tenantOf(p), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": s.auditViews(r.Context(), tenantOf(p), es)})
	return nil
}

func (s *Server) listQuarantine(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	all, err := queryBool(r, "all")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	qs, err := s.eng.Quarantine(r.Context(), tenantOf(p), inbox.QuarantineQuery{IntegrationID: r.URL.Query().Get("integration"), IncludeReplayed: all, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(qs, quarantineView)})
	return nil
}

func (s *Server) replay(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	item, err := s.eng.Replay(r.Context(), tenantOf(p), id)
	if err != nil {
		return notFoundAs("quarantined message", id, err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": item.Status, "message_id": item.MessageID,
		"conversation_id": item.ConversationID, "reason": item.Reason})
	return nil
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	unread, err := queryBool(r, "unread")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	ns, err := s.eng.Notifications(r.Context(), tenantOf(p), inbox.NotificationQuery{UserID: p.Actor, UnreadOnly: unread, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(ns, notificationView)})
	return nil
}

func (s *Server) readNotification(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("id")
	// Only the principal's own notifications: another employee's is a 404.
	ns, err := s.eng.Notifications(r.Context(), tenantOf(p), inbox.NotificationQuery{UserID: p.Actor, Limit: 1000})
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ns, func(n inbox.Notification) bool { return n.ID == id }) {
		return notFoundAs("notification", id, inbox.ErrNotFound)
	}
	if err := s.eng.MarkNotificationRead(r.Context(), tenantOf(p), id); err != nil {
		return notFoundAs("notification", id, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
