package statuspage

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// Plot areas in SVG user units; the template places them with a margin
// for the axis labels (viewBox 960 wide).
const (
	plotW, plotH = 880.0, 170.0 // the FD and latency charts
	barsH        = 90.0         // the restart timeline
	chartWindow  = time.Hour
	minWindow    = time.Minute // a young hsup's charts still span a minute
	fdGap        = 3 * BucketWidth
	probeGap     = 3 * time.Minute // deep probes run every minute or so
)

// timelineView is the restart timeline: bars per hour, and the events.
type timelineView struct {
	Bars     []barView
	Ticks    []tickView
	YTop     string
	Restarts int
	Events   []eventView
	Hidden   int // events of the last 24 h beyond maxEvents
}

type barView struct{ X, Y, W, H, Title string }

type tickView struct{ X, Label string }

type eventView struct {
	Time, Title    string // Title: the full date and time
	Kind, Class    string
	Reason, Detail string
	Extra          string
}

func newTimeline(slots []span, entries []Entry, now time.Time, loc *time.Location) timelineView {
	var tv timelineView
	top := 0
	for _, s := range slots {
		tv.Restarts += s.Restarts
		top = max(top, s.Restarts)
	}
	ymax := niceCeil(float64(top))
	tv.YTop = fmtCount(ymax)
	w := plotW / float64(max(len(slots), 1))
	for i, s := range slots {
		x := float64(i) * w
		if i%6 == 0 {
			tv.Ticks = append(tv.Ticks, tickView{X: coord(x), Label: s.Start.In(loc).Format("15:04")})
		}
		if s.Restarts == 0 {
			continue
		}
		h := barsH * float64(s.Restarts) / ymax
		tv.Bars = append(tv.Bars, barView{X: coord(x + 1), Y: coord(barsH - h), W: coord(w - 2), H: coord(h),
			Title: fmtClock(s.Start, loc) + "–" + fmtClock(s.End, loc) + ": " + strconv.Itoa(s.Restarts) + " restart(s): " + reasonsText(s.Reasons)})
	}
	day := recent(entries, now.Add(-24*time.Hour), len(entries))
	for _, e := range day[:min(len(day), maxEvents)] {
		tv.Events = append(tv.Events, newEvent(e, now, loc))
	}
	tv.Hidden = len(day) - len(tv.Events)
	return tv
}

// newEvent formats one timeline entry.
func newEvent(e Entry, now time.Time, loc *time.Location) eventView {
	ev := eventView{Time: fmtWhen(e.At, now, loc), Title: fmtTime(e.At, loc), Kind: e.Kind, Class: e.Kind,
		Reason: e.Reason, Detail: e.Detail}
	switch e.Kind {
	case KindRestart:
		ev.Extra = "attempt " + strconv.Itoa(e.Attempt) + ", next start after " + fmtDuration(e.Delay)
	case KindBundle:
		ev.Extra = e.Bundle
	case KindCrashLoop:
		ev.Kind = "crash loop"
	case KindGaveUp:
		ev.Kind = "gave up"
	}
	if e.Pid > 0 && e.Kind != KindRestart {
		ev.Extra = joinNonEmpty("pid "+strconv.Itoa(e.Pid), ev.Extra)
	}
	return ev
}

func joinNonEmpty(a, b string) string {
	if b == "" {
		return a
	}
	return a + " · " + b
}

// chartView is one line chart.
type chartView struct {
	ID, Title, Note string
	Lines           []lineView
	Marks           []markView
	Restarts        []markView // a dashed vertical line at each restart
	Limit           *limitView
	YTop, YMid      string
	From, To        string
	Empty           string // shown instead of lines when there are none
}

type lineView struct{ Class, D, Label string }

type markView struct{ X, Y, Title string }

type limitView struct{ Y, Label string }

// chartFrom is where the charts begin: an hour ago, or when hsup started
// if later, and at least minWindow before now.
func chartFrom(started, now time.Time) time.Time {
	from := now.Add(-chartWindow)
	if started.After(from) {
		from = started
	}
	if now.Sub(from) < minWindow {
		from = now.Add(-minWindow)
	}
	return from
}

func newChart(id, title string, f frame, restarts []Entry, loc *time.Location) chartView {
	c := chartView{ID: id, Title: title, From: fmtClock(f.From, loc), To: fmtClock(f.To, loc), Empty: "no samples yet"}
	for _, e := range restarts {
		if !e.At.Before(f.From) && !e.At.After(f.To) {
			c.Restarts = append(c.Restarts, markView{X: coord(f.x(e.At)), Title: fmtClock(e.At, loc) + ": restart (" + orNone(e.Reason) + ")"})
		}
	}
	return c
}

// restartsOf is the KindRestart entries, and their times, in order.
func restartsOf(entries []Entry) ([]Entry, []time.Time) {
	var es []Entry
	var ts []time.Time
	for _, e := range entries {
		if e.Kind == KindRestart {
			es, ts = append(es, e), append(ts, e.At)
		}
	}
	return es, ts
}

// fdChart is the child's open FDs (the peak of each 10 s) against its
// soft limit, drawn as a line when the limit is within the axis.
func fdChart(bs []Bucket, limit uint64, entries []Entry, from, now time.Time, loc *time.Location) chartView {
	pts := points(bs, 1)
	f := frame{From: from, To: now, W: plotW, H: plotH}
	f.YMax = fdAxis(maxOf(pts, f), limit)
	restarts, breaks := restartsOf(entries)
	c := newChart("fds-chart", "Open file descriptors", f, restarts, loc)
	c.YTop, c.YMid = fmtCount(f.YMax), fmtCount(f.YMax/2)
	c.Note = "peak of each 10 s, dashed at a restart; soft limit unknown"
	if limit > 0 {
		c.Note = "peak of each 10 s, dashed at a restart; soft limit " + fmtLimit(limit)
		if limit != math.MaxUint64 && float64(limit) <= f.YMax {
			c.Limit = &limitView{Y: coord(f.y(float64(limit))), Label: "limit " + fmtLimit(limit)}
		}
	}
	if d := pathD(pts, f, fdGap, breaks); d != "" {
		c.Lines, c.Empty = []lineView{{Class: "fds", D: d, Label: "open FDs"}}, ""
	}
	return c
}

// fdAxis is the FD chart's top: above the peak, and up to the soft limit
// once the peak is past half of it, so an approaching ceiling shows.
func fdAxis(peak float64, limit uint64) float64 {
	top := peak * 1.1
	if limit > 0 && limit != math.MaxUint64 && peak >= float64(limit)/2 {
		top = math.Max(top, float64(limit))
	}
	return niceCeil(top)
}

// latencyChart is each probe kind's latency (the slowest of each 10 s) in
// milliseconds, with a mark where a probe failed.
func latencyChart(probes map[string][]Bucket, entries []Entry, from, now time.Time, loc *time.Location) chartView {
	f := frame{From: from, To: now, W: plotW, H: plotH}
	kinds := make([]string, 0, len(probes))
	all := map[string][]point{}
	top := 0.0
	for k, bs := range probes {
		kinds = append(kinds, k)
		all[k] = points(bs, 1000)
		top = math.Max(top, maxOf(all[k], f))
	}
	slices.Sort(kinds)
	f.YMax = niceCeil(top * 1.1)
	restarts, breaks := restartsOf(entries)
	c := newChart("latency-chart", "Probe latency", f, restarts, loc)
	c.YTop, c.YMid = fmtMillis(f.YMax), fmtMillis(f.YMax/2)
	c.Note = "slowest probe of each 10 s, dashed at a restart; a dot marks a failed probe"
	for _, k := range kinds {
		if d := pathD(all[k], f, probeGap, breaks); d != "" {
			c.Lines = append(c.Lines, lineView{Class: "probe-" + k, D: d, Label: k})
		}
		c.Marks = append(c.Marks, failMarks(probes[k], k, f, loc)...)
	}
	if len(c.Lines) > 0 {
		c.Empty = ""
	}
	return c
}

// failMarks are the dots of the buckets that saw a failed probe.
func failMarks(bs []Bucket, kind string, f frame, loc *time.Location) []markView {
	var out []markView
	for _, b := range bs {
		if b.Failed == 0 || b.At.Before(f.From) || b.At.After(f.To) {
			continue
		}
		out = append(out, markView{X: coord(f.x(b.At)), Y: coord(f.y(b.Max * 1000)),
			Title: fmtClock(b.At, loc) + ": " + strconv.Itoa(b.Failed) + " of " + strconv.Itoa(b.N) + " " + kind + " probes failed"})
	}
	return out
}
