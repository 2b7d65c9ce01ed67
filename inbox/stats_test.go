package inbox_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// TestStatsAgainstHandComputedFixture builds a small history whose figures
// are computed by hand below.
func TestStatsAgainstHandComputedFixture(t *testing.T) {
	sender := &fakeSender{}
	e := newEnv(t, inbox.Options{Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceSMS: sender.factory()}})
	integ := e.integration(inbox.SourceSMS, map[string]string{"number": "33100000000"})
	start := e.clock.Now()
	actor := inbox.Change{Actor: "ana"}

	in := func(id, phone string) string {
		m := sms(id, phone, "bonjour")
		m.IntegrationID = integ.ID
		m.SentAt = e.clock.Now()
		return e.ingest(m).Items[0].ConversationID
	}
	// conversation 1: answered after 10 min, resolved after 1 h
	c1 := in("a", "+33600000001")
	e.clock.Advance(10 * time.Minute)
	_, err := e.engine.Reply(e.ctx, tenantA, c1, inbox.ReplyRequest{Text: "ok"}, actor)
	require.NoError(t, err)
	e.clock.Advance(50 * time.Minute)
	_, err = e.engine.SetStatus(e.ctx, tenantA, c1, inbox.StatusResolved, actor)
	require.NoError(t, err)
	// conversation 2, next day: answered after 30 min, never resolved
	e.clock.Advance(23 * time.Hour)
	c2 := in("b", "+33600000002")
	e.clock.Advance(30 * time.Minute)
	_, err = e.engine.Reply(e.ctx, tenantA, c2, inbox.ReplyRequest{Text: "ok"}, actor)
	require.NoError(t, err)
	// conversation 3: never answered
	in("c", "+33600000003")

	s, err := e.engine.Stats(e.ctx, tenantA, inbox.StatsQuery{From: start, To: e.clock.Now().Add(time.Minute)})
	require.NoError(t, err)
	require.Equal(t, 3, s.Conversations)
	require.Equal(t, 2, s.FirstResponse.Count)
	require.Equal(t, 20*time.Minute, s.FirstResponse.Average)
	require.Equal(t, 20*time.Minute, s.FirstResponse.Median)
	require.Equal(t, 30*time.Minute, s.FirstResponse.P90)
	require.Equal(t, 1, s.Resolution.Count)
	require.Equal(t, time.Hour, s.Resolution.Median)
	require.InDelta(t, 1.0/3, s.ResolutionRate, 1e-9)
	require.Equal(t, 1, s.ByStatus[inbox.StatusResolved])
	require.Equal(t, 3, s.BySource[inbox.SourceSMS])

	perDay := map[string]int{}
	for _, v := range s.Volume {
		perDay[v.Period+"/"+string(v.Direction)] += v.Count
	}
	day1, day2 := start.Format("2006-01-02"), start.Add(24*time.Hour).Format("2006-01-02")
	require.Equal(t, map[string]int{day1 + "/in": 1, day1 + "/out": 1, day2 + "/in": 2, day2 + "/out": 1}, perDay)

	_, err = e.engine.Stats(e.ctx, tenantA, inbox.StatsQuery{From: start, To: start.Add(-time.Hour)})
	require.ErrorIs(t, err, inbox.ErrInvalid)
}

func TestStatsMeasureFromTheCustomersSentTimeAndPerAgent(t *testing.T) {
	sender := &fakeSender{}
	e := newEnv(t, inbox.Options{Employees: namedEmployees{"ana": "Ana", "bob": "Bob"},
		Channels: map[inbox.Source]inbox.ChannelFactory{inbox.SourceSMS: sender.factory()}})
	integ := e.integration(inbox.SourceSMS, map[string]string{"number": "33100000000"})
	late := sms("m1", "+33600000001", "Où est ma commande ?")
	late.IntegrationID = integ.ID
	late.SentAt = e.clock.Now().Add(-3 * time.Hour) // synced three hours late
	lateID := e.ingest(late).Items[0].ConversationID
	future := sms("m2", "+33600000002", "Facture en double")
	future.IntegrationID = integ.ID
	future.SentAt = e.clock.Now().Add(30 * time.Minute) // a sender's clock ahead: clamped to receipt
	futureID := e.ingest(future).Items[0].ConversationID
	require.Equal(t, e.clock.Now(), e.conversation(futureID).FirstInboundAt)

	ana, bob := inbox.Change{Actor: "ana"}, inbox.Change{Actor: "bob"}
	_, err := e.engine.Assign(e.ctx, tenantA, lateID, "ana", ana)
	require.NoError(t, err)
	_, err = e.engine.Assign(e.ctx, tenantA, futureID, "bob", bob)
	require.NoError(t, err)
	e.clock.Advance(10 * time.Minute)
	_, err = e.engine.Reply(e.ctx, tenantA, lateID, inbox.ReplyRequest{Text: "Elle part demain."}, ana)
	require.NoError(t, err)
	_, err = e.engine.Reply(e.ctx, tenantA, futureID, inbox.ReplyRequest{Text: "Nous corrigeons."}, bob)
	require.NoError(t, err)
	e.clock.Advance(time.Hour)
	_, err = e.engine.SetStatus(e.ctx, tenantA, futureID, inbox.StatusResolved, bob)
	require.NoError(t, err)

	st, err := e.engine.Stats(e.ctx, tenantA, inbox.StatsQuery{From: e.clock.Now().Add(-24 * time.Hour), To: e.clock.Now().Add(time.Minute), Granularity: inbox.ByWeek})
	require.NoError(t, err)
	require.Equal(t, 2, st.FirstResponse.Count)
	require.Equal(t, 3*time.Hour+10*time.Minute, st.ByAgent["ana"].FirstResponse.Median, "from the customer's sent time, not from storage")
	require.Equal(t, 10*time.Minute, st.ByAgent["bob"].FirstResponse.Median)
	require.Equal(t, 1, st.ByAgent["bob"].Resolved)
	require.Equal(t, 1, st.ByAgent["ana"].Conversations)
	require.Equal(t, []inbox.PeriodStats{{Period: "2026-W11", Conversations: 2, Resolved: 1,
		FirstResponse: st.FirstResponse, Resolution: st.Resolution}}, st.Periods)
	require.Equal(t, map[inbox.Intent]int{"": 2}, st.ByIntent)
}
