package memstore

// addThreadKey records that message h holds key.
func (t *tx) addThreadKey(key string, h threadHolder) {
	cur, ok := t.state.threadKeys[key]
	if !ok {
		put(&t.undo, t.state.threadKeys, key, h)
		return
	}
	holders, shared := t.state.sharedKeys[key]
	if !shared {
		holders = []threadHolder{cur}
	}
	holders = append(holders[:len(holders):len(holders)], h)
	put(&t.undo, t.state.sharedKeys, key, holders)
	if h.after(cur) {
		put(&t.undo, t.state.threadKeys, key, h)
	}
}

// removeThreadKey forgets that message holds key.
func (t *tx) removeThreadKey(key, message string) {
	t.editThreadKey(key, message, nil)
}

// moveThreadKey records that message, holding key, moved to conversation.
func (t *tx) moveThreadKey(key, message, conversation string) {
	t.editThreadKey(key, message, &conversation)
}

// editThreadKey removes message from key's holders (conversation nil) or
// changes its conversation, then re-decides the key.
func (t *tx) editThreadKey(key, message string, conversation *string) {
	holders, shared := t.state.sharedKeys[key]
	if !shared {
		cur, ok := t.state.threadKeys[key]
		switch {
		case !ok || cur.message != message:
		case conversation == nil:
			del(&t.undo, t.state.threadKeys, key)
		default:
			cur.conversation = *conversation
			put(&t.undo, t.state.threadKeys, key, cur)
		}
		return
	}
	next := make([]threadHolder, 0, len(holders))
	for _, h := range holders {
		if h.message == message {
			if conversation == nil {
				continue
			}
			h.conversation = *conversation
		}
		next = append(next, h)
	}
	best := next[0]
	for _, h := range next[1:] {
		if h.after(best) {
			best = h
		}
	}
	put(&t.undo, t.state.threadKeys, key, best)
	if len(next) == 1 {
		del(&t.undo, t.state.sharedKeys, key)
	} else {
		put(&t.undo, t.state.sharedKeys, key, next)
	}
}
