package statuspage

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// hourCount is the restarts decided within one clock hour, by reason.
type hourCount struct {
	Start   time.Time // the hour, truncated
	N       int
	Reasons []reasonCount // in the order first seen; at most maxReasons
}

// reasonCount is how many restarts one reason caused.
type reasonCount struct {
	Reason string
	N      int
}

// maxReasons bounds the reasons of one hour; the rest count as "other".
const maxReasons = 16

// add counts one restart for reason. Past maxReasons-1 distinct reasons
// in the hour, a new one counts as "other".
func (h *hourCount) add(reason string) {
	h.N++
	find := func(r string) int {
		return slices.IndexFunc(h.Reasons, func(c reasonCount) bool { return c.Reason == r })
	}
	i := find(reason)
	if i < 0 && len(h.Reasons) >= maxReasons-1 {
		reason, i = "other", find("other")
	}
	if i < 0 {
		h.Reasons = append(h.Reasons, reasonCount{Reason: reason, N: 1})
		return
	}
	h.Reasons[i].N++
}

// span is one slot of the restart timeline: the restarts decided within
// [Start, End) and their reasons.
type span struct {
	Start, End time.Time
	Restarts   int
	Reasons    []reasonCount // most frequent first, then by name
}

// hourSlots lays hourly counts out as the n clock hours that end with the
// one now is in, oldest first; hours with no count are empty slots, and
// counts outside the window are left out. n < 1 yields nil.
func hourSlots(hours []hourCount, now time.Time, n int) []span {
	if n < 1 {
		return nil
	}
	first := now.Truncate(time.Hour).Add(-time.Duration(n-1) * time.Hour)
	out := make([]span, n)
	for i := range out {
		out[i].Start = first.Add(time.Duration(i) * time.Hour)
		out[i].End = out[i].Start.Add(time.Hour)
	}
	for _, h := range hours {
		i := int(h.Start.Sub(first) / time.Hour)
		if h.Start.Before(first) || i >= n {
			continue
		}
		out[i].Restarts += h.N
		out[i].Reasons = mergeReasons(out[i].Reasons, h.Reasons)
	}
	return out
}

// mergeReasons adds b's counts to a and ranks the result.
func mergeReasons(a, b []reasonCount) []reasonCount {
	c := map[string]int{}
	for _, r := range slices.Concat(a, b) {
		c[r.Reason] += r.N
	}
	return rankReasons(c)
}

// rankReasons orders reason counts, most frequent first, then by name.
func rankReasons(c map[string]int) []reasonCount {
	if len(c) == 0 {
		return nil
	}
	out := make([]reasonCount, 0, len(c))
	for r, n := range c {
		out = append(out, reasonCount{Reason: r, N: n})
	}
	slices.SortFunc(out, func(a, b reasonCount) int {
		if a.N != b.N {
			return b.N - a.N
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	return out
}

// reasonsText is "health ×2, exit" for a slot's tooltip and legend.
func reasonsText(rs []reasonCount) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		name := r.Reason
		if name == "" {
			name = "unknown"
		}
		if r.N > 1 {
			name += " ×" + strconv.Itoa(r.N)
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, ", ")
}

// recent is the entries at or after since, newest first, at most limit.
func recent(entries []Entry, since time.Time, limit int) []Entry {
	var out []Entry
	for i := len(entries) - 1; i >= 0 && len(out) < limit; i-- {
		if !entries[i].At.Before(since) {
			out = append(out, entries[i])
		}
	}
	return out
}
