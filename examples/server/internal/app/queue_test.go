package app_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
)

type queueJSON struct {
	Items []struct {
		convJSON
		Priority     string     `json:"priority"`
		SnoozedUntil *time.Time `json:"snoozed_until"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
	Total      int    `json:"total"`
	TotalExact bool   `json:"total_exact"`
}

func (q queueJSON) ids() []string {
	var ids []string
	for _, c := range q.Items {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestWorkQueueAPI(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)
	openView := func() queueJSON {
		var q queueJSON
		c.json(http.MethodGet, "/inbox/conversations?view=open&sort=queue&total=1&limit=200", nil, http.StatusOK, &q)
		return q
	}
	q := openView()
	require.NotEmpty(t, q.Items)
	require.True(t, q.TotalExact)
	require.Equal(t, len(q.Items), q.Total)
	for _, it := range q.Items {
		require.Contains(t, []string{"new", "open", "urgent"}, it.Status, "the open view holds open work only")
	}
	last := q.Items[len(q.Items)-1]

	t.Run("priority puts a conversation first", func(t *testing.T) {
		var out struct {
			Priority string `json:"priority"`
		}
		c.json(http.MethodPost, "/inbox/conversations/"+last.ID+"/priority", map[string]any{"priority": "urgent"}, http.StatusOK, &out)
		require.Equal(t, "urgent", out.Priority)
		require.Equal(t, last.ID, openView().Items[0].ID)
		p := c.problem(http.MethodPost, "/inbox/conversations/"+last.ID+"/priority", map[string]any{"priority": "asap"}, http.StatusBadRequest)
		require.Contains(t, p.Detail, "urgent, high, normal, low")
	})

	t.Run("snoozed work leaves the open view", func(t *testing.T) {
		until := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Second)
		var out struct {
			SnoozedUntil time.Time `json:"snoozed_until"`
		}
		c.json(http.MethodPost, "/inbox/conversations/"+last.ID+"/snooze", map[string]any{"until": until}, http.StatusOK, &out)
		require.True(t, until.Equal(out.SnoozedUntil))
		require.NotContains(t, openView().ids(), last.ID)
		c.json(http.MethodPost, "/inbox/conversations/"+last.ID+"/snooze", map[string]any{"until": nil}, http.StatusOK, nil)
		require.Contains(t, openView().ids(), last.ID)
		p := c.problem(http.MethodPost, "/inbox/conversations/"+last.ID+"/snooze", map[string]any{"until": time.Now().Add(-time.Hour)}, http.StatusBadRequest)
		require.Contains(t, p.Detail, "not in the future")
	})

	t.Run("next skips the conversation just handled", func(t *testing.T) {
		var next struct {
			Conversation *convJSON `json:"conversation"`
		}
		c.json(http.MethodGet, "/inbox/conversations/next?sort=queue&after="+last.ID, nil, http.StatusOK, &next)
		require.NotNil(t, next.Conversation)
		require.NotEqual(t, last.ID, next.Conversation.ID)
		require.Equal(t, openView().Items[1].ID, next.Conversation.ID)
	})

	t.Run("bulk resolves each and reports refusals per id", func(t *testing.T) {
		ids := append(openView().ids(), "no-such-conversation")
		var res struct {
			Done, Failed int
			Items        []struct {
				ID    string `json:"id"`
				OK    bool   `json:"ok"`
				Error *struct {
					Status int    `json:"status"`
					Detail string `json:"detail"`
				} `json:"error"`
			} `json:"items"`
		}
		c.json(http.MethodPost, "/inbox/conversations/bulk", map[string]any{"action": "resolve", "conversation_ids": ids}, http.StatusOK, &res)
		require.Equal(t, len(ids)-1, res.Done)
		require.Equal(t, 1, res.Failed)
		bad := res.Items[len(res.Items)-1]
		require.False(t, bad.OK)
		require.Equal(t, http.StatusNotFound, bad.Error.Status)
		require.Empty(t, openView().Items, "all open work resolved")

		var next struct {
			Conversation *convJSON `json:"conversation"`
		}
		c.json(http.MethodGet, "/inbox/conversations/next?view=open", nil, http.StatusOK, &next)
		require.Nil(t, next.Conversation)

		var all queueJSON
		c.json(http.MethodGet, "/inbox/conversations?status=resolved&limit=200", nil, http.StatusOK, &all)
		for _, id := range ids[:len(ids)-1] {
			require.Contains(t, all.ids(), id)
		}
		type entry struct {
			Action, Actor string
			ActorName     string `json:"actor_name"`
		}
		var audit struct {
			Items []entry `json:"items"`
		}
		c.json(http.MethodGet, "/inbox/conversations/"+ids[0]+"/audit", nil, http.StatusOK, &audit)
		require.True(t, slices.ContainsFunc(audit.Items, func(a entry) bool {
			return a.Action == "conversation.status" && a.Actor == "claire" && a.ActorName == "Claire Martin"
		}), "each bulk change is audited, under the agent's name")
		for _, a := range audit.Items {
			require.NotEmpty(t, a.ActorName)
			require.NotContains(t, a.ActorName, "classifier", "the engine's parts are named in plain words")
		}

		for _, why := range map[string]map[string]any{
			"unknown action": {"action": "explode", "conversation_ids": ids[:1]},
			"no ids":         {"action": "resolve", "conversation_ids": []string{}},
			"repeated":       {"action": "resolve", "conversation_ids": []string{ids[0], ids[0]}},
			"unknown person": {"action": "assign", "assignee": "zoe", "conversation_ids": ids[:1]},
		} {
			c.problem(http.MethodPost, "/inbox/conversations/bulk", why, http.StatusBadRequest)
		}
		many := make([]string, 201)
		for i := range many {
			many[i] = ids[0] + string(rune('a'+i%26)) + string(rune('a'+i/26))
		}
		p := c.problem(http.MethodPost, "/inbox/conversations/bulk", map[string]any{"action": "resolve", "conversation_ids": many}, http.StatusBadRequest)
		require.Contains(t, p.Detail, "at most 200")
	})
}

func TestProjectsAndNotificationTextsAPI(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)
	lea := findConv(t, c, "Léa Fontaine")
	other := findConv(t, c, "Éléonore Dubois")
	c.json(http.MethodPost, "/inbox/conversations/"+lea.ID+"/link", map[string]any{"project_id": "P-7"}, http.StatusOK, nil)
	var task struct {
		ProjectID string `json:"project_id"`
	}
	c.json(http.MethodPost, "/inbox/conversations/"+other.ID+"/tasks", map[string]any{"title": "Devis luminaires", "project_id": "P-7"}, http.StatusCreated, &task)
	require.Equal(t, "P-7", task.ProjectID)

	var q queueJSON
	c.json(http.MethodGet, "/inbox/conversations?project=P-7&total=1", nil, http.StatusOK, &q)
	require.ElementsMatch(t, []string{lea.ID, other.ID}, q.ids())
	require.Equal(t, 2, q.Total)
	var tasks struct {
		Items []struct{ Title string } `json:"items"`
	}
	c.json(http.MethodGet, "/inbox/tasks?project=P-7", nil, http.StatusOK, &tasks)
	require.Len(t, tasks.Items, 1)

	// a mention names the author and the conversation (an SMS has no
	// subject: the customer's first words), and quotes the note
	c.json(http.MethodPost, "/inbox/conversations/"+lea.ID+"/notes", map[string]any{"body": "@ines peux-tu la rappeler ?"}, http.StatusCreated, nil)
	ines := newClient(t, ts.URL).login("ines@maison-lumiere.example", demo.Password)
	var notes struct {
		Items []struct{ Kind, Text string } `json:"items"`
	}
	ines.json(http.MethodGet, "/inbox/notifications", nil, http.StatusOK, &notes)
	require.NotEmpty(t, notes.Items)
	require.Equal(t, "mention", notes.Items[0].Kind)
	require.Equal(t, "Claire Martin mentioned you in “Coucou ! Vous avez encore la lampe Champignon en vert sauge…”: @ines peux-tu la rappeler ?", notes.Items[0].Text)
}

func TestSearchAPIFindsWhatAgentsType(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)
	lea := findConv(t, c, "Léa Fontaine")
	search := func(q string) searchJSON {
		var out searchJSON
		c.json(http.MethodGet, "/inbox/conversations?total=1&q="+url.QueryEscape(q), nil, http.StatusOK, &out)
		return out
	}
	for _, q := range []string{"+33 6 11 22 33 44", "06 11 22 33 44", "0611223344"} {
		res := search(q)
		require.Len(t, res.Items, 1, q)
		require.Equal(t, lea.ID, res.Items[0].ID, q)
		require.Equal(t, 1, res.Total, q)
	}

	// with the company's calling code, national numbers are exact lookups
	c.json(http.MethodPatch, "/inbox/settings", map[string]any{"phone_country_code": "+33"}, http.StatusOK, nil)
	for _, q := range []string{"06 11 22 33 44", "0611223344", "+33 6 11 22 33 44"} {
		res := search(q)
		require.Len(t, res.Items, 1, q)
		require.Equal(t, lea.ID, res.Items[0].ID, q)
	}
	c.problem(http.MethodPatch, "/inbox/settings", map[string]any{"phone_country_code": "France"}, http.StatusBadRequest)

	res := search("champi*")
	require.NotEmpty(t, res.Items)
	require.Equal(t, len(res.Items), res.Total)
	for _, it := range res.Items {
		require.NotNil(t, it.Snippet, it.ID)
		require.NotEmpty(t, it.Snippet.Highlights)
		h := it.Snippet.Highlights[0]
		require.Equal(t, "champignon", strings.ToLower(string([]rune(it.Snippet.Text)[h.Start:h.End])))
	}
}

func TestStatsExportAPI(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)
	conv := findConv(t, c, "Léa Fontaine")
	c.json(http.MethodPost, "/inbox/conversations/"+conv.ID+"/assign", map[string]any{"assignee": "ines"}, http.StatusOK, nil)

	var st struct {
		AgentNames map[string]string `json:"agent_names"`
		Stats      struct {
			Periods []struct {
				Period        string `json:"period"`
				Conversations int    `json:"conversations"`
			} `json:"periods"`
			ByAgent  map[string]struct{ Conversations int } `json:"by_agent"`
			ByIntent map[string]int                         `json:"by_intent"`
		} `json:"stats"`
	}
	c.json(http.MethodGet, "/inbox/stats?granularity=week&from="+url.QueryEscape(time.Now().AddDate(0, 0, -60).Format(time.RFC3339)), nil, http.StatusOK, &st)
	require.NotEmpty(t, st.Stats.Periods)
	require.Regexp(t, `^\d{4}-W\d{2}$`, st.Stats.Periods[0].Period)
	require.GreaterOrEqual(t, st.Stats.ByAgent["ines"].Conversations, 1)
	require.Equal(t, "Inès Moreau", st.AgentNames["ines"])
	require.NotEmpty(t, st.Stats.ByIntent)

	for by, header := range map[string]string{
		"agent":  "agent_id,agent,conversations,resolved,answered,first_response_median_s",
		"period": "period,conversations,resolved,answered,first_response_median_s",
		"intent": "intent,conversations",
	} {
		resp, raw := c.do(http.MethodGet, "/inbox/stats/export?granularity=month&by="+by, nil)
		body := string(raw)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
		require.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
		require.True(t, strings.HasPrefix(body, header), by+": "+body)
		if by == "agent" {
			require.Contains(t, body, ",Inès Moreau,", "agents are named")
		}
	}
	c.problem(http.MethodGet, "/inbox/stats/export?by=color", nil, http.StatusBadRequest)
}
