package storetest

import (
	"cmp"
	"slices"

	"github.com/inboxkit/inboxkit/inbox"
)

// The functions below state the conversation list contract as code: which
// conversations a query selects (Search aside) and in which order.

// modelMatches reports whether c passes every filter of q but Search and
// Cursor.
func modelMatches(c inbox.Conversation, q inbox.ConversationQuery) bool {
	switch {
	case q.FolderID == inbox.Unfiled && c.FolderID != "":
		return false
	case q.FolderID != "" && q.FolderID != inbox.Unfiled && c.FolderID != q.FolderID:
		return false
	case len(q.Statuses) > 0 && !slices.Contains(q.Statuses, c.Status):
		return false
	case len(q.Sources) > 0 && !slices.Contains(q.Sources, c.Source):
		return false
	case q.Assignee == inbox.Unassigned && c.Assignee != "":
		return false
	case q.Assignee != "" && q.Assignee != inbox.Unassigned && c.Assignee != q.Assignee:
		return false
	case q.UnreadOnly && (c.Unread <= 0 || c.Status == inbox.StatusSpam || c.Status == inbox.StatusArchived):
		return false // the set UnreadCounts counts
	case q.OpenWork && inbox.QueueRank(&c) >= inbox.RankOpenWork:
		return false
	case q.ProjectID != "" && c.ProjectID != q.ProjectID: // the model has no tasks
		return false
	case q.Tag != "" && !slices.Contains(c.Tags, q.Tag):
		return false
	case q.Intent != "" && c.Intent != q.Intent:
		return false
	case q.ContactID != "" && c.ContactID != q.ContactID:
		return false
	case len(q.ContactIDs) > 0 && !slices.Contains(q.ContactIDs, c.ContactID):
		return false
	case q.IntegrationID != "" && c.IntegrationID != q.IntegrationID:
		return false
	case q.ThreadSubject != "" && c.ThreadSubject != q.ThreadSubject:
		return false
	case !q.Since.IsZero() && c.LastMessageAt.Before(q.Since):
		return false
	case !q.Until.IsZero() && !c.LastMessageAt.Before(q.Until):
		return false
	}
	return true
}

// modelCompare orders conversations for a sort: negative when a comes
// first.
func modelCompare(s inbox.Sort) func(a, b inbox.Conversation) int {
	newest := func(a, b inbox.Conversation) int {
		return cmp.Or(b.LastMessageAt.Compare(a.LastMessageAt), cmp.Compare(b.ID, a.ID))
	}
	switch s {
	case inbox.SortOldest:
		return func(a, b inbox.Conversation) int {
			return cmp.Or(a.LastMessageAt.Compare(b.LastMessageAt), cmp.Compare(a.ID, b.ID))
		}
	case inbox.SortPriority:
		return func(a, b inbox.Conversation) int {
			return cmp.Or(cmp.Compare(a.Status.Priority(), b.Status.Priority()), newest(a, b))
		}
	case inbox.SortStatus:
		return func(a, b inbox.Conversation) int {
			return cmp.Or(cmp.Compare(a.Status.Priority(), b.Status.Priority()), newest(a, b))
		}
	case inbox.SortQueue:
		return func(a, b inbox.Conversation) int {
			return cmp.Or(cmp.Compare(inbox.QueueRank(&a), inbox.QueueRank(&b)),
				a.LastMessageAt.Compare(b.LastMessageAt), cmp.Compare(a.ID, b.ID))
		}
	}
	return newest
}

// modelList returns the ids q must list from all, in order, ignoring
// Search, Limit and Cursor.
func modelList(all []inbox.Conversation, q inbox.ConversationQuery) []string {
	var out []inbox.Conversation
	for _, c := range all {
		if modelMatches(c, q) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, modelCompare(q.Sort))
	return conversationIDs(out)
}

// sorts are the five conversation orders.
var sorts = []inbox.Sort{inbox.SortNewest, inbox.SortOldest, inbox.SortPriority, inbox.SortStatus, inbox.SortQueue}

// sortStrings sorts ss in place.
func sortStrings(ss []string) { slices.Sort(ss) }
