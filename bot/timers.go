package bot

import (
	"container/heap"
	"context"
	"time"
)

// timer is one piece of work due at a time: a welcome batch closing, a cron job, a
// screening deadline. Timers run on the engine's loop, in time order.
type timer struct {
	at    time.Time
	seq   uint64
	key   string   // a timer with the same key replaces the earlier one
	label JobLabel // what it is for, shown to the owner
	run   func(ctx context.Context, now time.Time)
	index int
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *timerHeap) Push(x any)   { t := x.(*timer); t.index = len(*h); *h = append(*h, t) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

// timers is a keyed priority queue. It is owned by the engine loop; no locking.
type timers struct {
	h     timerHeap
	byKey map[string]*timer
	seq   uint64
}

func (q *timers) schedule(t *timer) {
	if q.byKey == nil {
		q.byKey = map[string]*timer{}
	}
	if t.key != "" {
		if old, ok := q.byKey[t.key]; ok && old.index >= 0 {
			heap.Remove(&q.h, old.index)
		}
		q.byKey[t.key] = t
	}
	q.seq++
	t.seq = q.seq
	heap.Push(&q.h, t)
}

func (q *timers) has(key string) bool {
	t, ok := q.byKey[key]
	return ok && t.index >= 0
}

func (q *timers) cancel(key string) {
	if t, ok := q.byKey[key]; ok {
		if t.index >= 0 {
			heap.Remove(&q.h, t.index)
		}
		delete(q.byKey, key)
	}
}

// next is the earliest due time, zero when empty.
func (q *timers) next() time.Time {
	if len(q.h) == 0 {
		return time.Time{}
	}
	return q.h[0].at
}

// popDue removes and returns the earliest timer due at or before now.
func (q *timers) popDue(now time.Time) *timer {
	if len(q.h) == 0 || q.h[0].at.After(now) {
		return nil
	}
	t := heap.Pop(&q.h).(*timer)
	if q.byKey[t.key] == t {
		delete(q.byKey, t.key)
	}
	return t
}
