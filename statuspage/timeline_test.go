package statuspage

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestHourSlots(t *testing.T) {
	now := t0.Add(30 * time.Minute) // 12:30
	hour := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	tests := []struct {
		name  string
		hours []hourCount
		n     int
		want  map[int]span // index -> Restarts and Reasons; others empty
	}{
		{name: "no restarts", n: 24, want: map[int]span{}},
		{name: "current hour is the last slot", n: 24,
			hours: []hourCount{{Start: hour(0), N: 2, Reasons: []reasonCount{{"health", 2}}}},
			want:  map[int]span{23: {Restarts: 2, Reasons: []reasonCount{{"health", 2}}}}},
		{name: "oldest hour in the window is the first slot", n: 24,
			hours: []hourCount{{Start: hour(-23), N: 1, Reasons: []reasonCount{{"exit", 1}}}},
			want:  map[int]span{0: {Restarts: 1, Reasons: []reasonCount{{"exit", 1}}}}},
		{name: "older than the window left out", n: 24,
			hours: []hourCount{{Start: hour(-24), N: 5, Reasons: []reasonCount{{"exit", 5}}}},
			want:  map[int]span{}},
		{name: "future hour (clock stepped back) left out", n: 24,
			hours: []hourCount{{Start: hour(1), N: 1, Reasons: []reasonCount{{"exit", 1}}}},
			want:  map[int]span{}},
		{name: "reasons ranked by count then name", n: 3,
			hours: []hourCount{{Start: hour(-1), N: 4, Reasons: []reasonCount{{"exit", 1}, {"health", 2}, {"deep", 1}}}},
			want:  map[int]span{1: {Restarts: 4, Reasons: []reasonCount{{"health", 2}, {"deep", 1}, {"exit", 1}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hourSlots(tt.hours, now, tt.n)
			if len(got) != tt.n {
				t.Fatalf("%d slots, want %d", len(got), tt.n)
			}
			first := hour(-(tt.n - 1))
			for i, s := range got {
				if !s.Start.Equal(first.Add(time.Duration(i)*time.Hour)) || s.End.Sub(s.Start) != time.Hour {
					t.Errorf("slot %d spans %v..%v, want the clock hour %v", i, s.Start, s.End, first.Add(time.Duration(i)*time.Hour))
				}
				w := tt.want[i]
				if s.Restarts != w.Restarts || !reflect.DeepEqual(s.Reasons, w.Reasons) {
					t.Errorf("slot %d: %d %v, want %d %v", i, s.Restarts, s.Reasons, w.Restarts, w.Reasons)
				}
			}
		})
	}
	if got := hourSlots(nil, now, 0); got != nil {
		t.Errorf("n=0: %v, want nil", got)
	}
}

func TestHourCountAdd(t *testing.T) {
	var h hourCount
	for i := range maxReasons + 3 {
		h.add(fmt.Sprintf("r%02d", i))
	}
	h.add("r00")
	if h.N != maxReasons+4 {
		t.Errorf("N = %d, want %d", h.N, maxReasons+4)
	}
	if len(h.Reasons) != maxReasons {
		t.Fatalf("%d reasons kept, want %d: %v", len(h.Reasons), maxReasons, h.Reasons)
	}
	if last := h.Reasons[maxReasons-1]; last != (reasonCount{"other", 4}) {
		t.Errorf("last reason %v, want other ×4 (the reasons past the bound)", last)
	}
	if h.Reasons[0] != (reasonCount{"r00", 2}) {
		t.Errorf("first reason %v, want r00 ×2 (a known reason still counts as itself)", h.Reasons[0])
	}
}

func TestReasonsText(t *testing.T) {
	tests := []struct {
		name string
		rs   []reasonCount
		want string
	}{
		{name: "none", want: ""},
		{name: "one", rs: []reasonCount{{"health", 1}}, want: "health"},
		{name: "counts", rs: []reasonCount{{"health", 3}, {"exit", 1}}, want: "health ×3, exit"},
		{name: "empty reason", rs: []reasonCount{{"", 2}}, want: "unknown ×2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reasonsText(tt.rs); got != tt.want {
				t.Errorf("reasonsText = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRecent(t *testing.T) {
	es := []Entry{{At: at(0), Reason: "a"}, {At: at(10), Reason: "b"}, {At: at(20), Reason: "c"}, {At: at(30), Reason: "d"}}
	tests := []struct {
		name  string
		since time.Time
		limit int
		want  string
	}{
		{name: "all, newest first", since: at(0), limit: 10, want: "dcba"},
		{name: "since is inclusive", since: at(10), limit: 10, want: "dcb"},
		{name: "limit keeps the newest", since: at(0), limit: 2, want: "dc"},
		{name: "none", since: at(31), limit: 10, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			for _, e := range recent(es, tt.since, tt.limit) {
				got += e.Reason
			}
			if got != tt.want {
				t.Errorf("recent = %q, want %q", got, tt.want)
			}
		})
	}
}
