package statuspage

import (
	"strconv"
	"time"
)

// view is everything the template shows, formatted.
type view struct {
	Name       string
	State      string
	StateClass string // ok, warn, bad
	Generated  string
	Rows       []row
	Timeline   timelineView
	FDs        chartView
	Latency    chartView
	Bundle     *bundleView
}

// row is one line of the status table.
type row struct {
	ID, Label, Value, Note string
}

// Timeline bounds: 24 hourly slots; the events list shows at most
// maxEvents of the last 24 h.
const (
	timelineHours = 24
	maxEvents     = 100
)

// buildView is the page at now, from the status, the history and the
// latest bundle. Pure.
func buildView(name string, started time.Time, st Status, snap snapshot, b *bundleView, now time.Time, loc *time.Location) view {
	slots := hourSlots(snap.hours, now, timelineHours)
	v := view{
		Name: name, State: stateText(st), StateClass: stateClass(st.State),
		Generated: fmtTime(now, loc), Bundle: b,
		Rows:     statusRows(st, started, slots, now, loc),
		Timeline: newTimeline(slots, snap.entries, now, loc),
	}
	from := chartFrom(started, now)
	v.FDs = fdChart(snap.fds, snap.limit, snap.entries, from, now, loc)
	v.Latency = latencyChart(snap.probes, snap.entries, from, now, loc)
	return v
}

func stateText(st Status) string {
	if st.State == "" {
		return "unknown"
	}
	return st.State
}

// stateClass colours the state: running is ok, on the way is warn, a
// child being captured, stopped or in backoff is bad.
func stateClass(state string) string {
	switch state {
	case "running":
		return "ok"
	case "starting", "":
		return "warn"
	}
	return "bad"
}

// statusRows are the status table's lines.
func statusRows(st Status, started time.Time, slots []span, now time.Time, loc *time.Location) []row {
	rows := []row{
		{ID: "state", Label: "State", Value: stateText(st), Note: pidNote(st.Pid)},
		childUptime(st, now, loc),
		{ID: "hsup-uptime", Label: "hsup uptime", Value: fmtSince(started, now), Note: "since " + fmtTime(started, loc)},
		restartsRow(st, slots),
		lastRestart(st),
	}
	if st.Verdict != "" {
		rows = append(rows, row{ID: "verdict", Label: "Current verdict", Value: st.Verdict, Note: st.VerdictDetail})
	}
	return append(rows, backoffRow(st, now), probeRow(st), heartbeatRow(st, now), fdsRow(st),
		row{ID: "last-bundle", Label: "Last bundle", Value: orNone(st.LastBundle)})
}

func pidNote(pid int) string {
	if pid == 0 {
		return "no child process"
	}
	return "pid " + strconv.Itoa(pid)
}

func childUptime(st Status, now time.Time, loc *time.Location) row {
	r := row{ID: "child-uptime", Label: "Child uptime", Value: "no child"}
	if st.Pid == 0 || st.StartedAt.IsZero() {
		return r
	}
	r.Value, r.Note = fmtSince(st.StartedAt, now), "started "+fmtTime(st.StartedAt, loc)
	if !st.RunningSince.IsZero() {
		r.Note += ", healthy since " + fmtTime(st.RunningSince, loc)
	}
	return r
}

func restartsRow(st Status, slots []span) row {
	day, hour := 0, 0
	for _, s := range slots {
		day += s.Restarts
	}
	if len(slots) > 0 {
		hour = slots[len(slots)-1].Restarts
	}
	return row{ID: "restarts", Label: "Restarts", Value: strconv.Itoa(st.Restarts) + " since hsup started",
		Note: strconv.Itoa(hour) + " this hour, " + strconv.Itoa(day) + " in the last 24 hours"}
}

func lastRestart(st Status) row {
	r := row{ID: "last-restart", Label: "Last restart", Value: orNone(st.LastRestartReason), Note: st.LastRestartDetail}
	if st.Exited {
		exit := "last exit status " + strconv.Itoa(st.LastExitCode)
		if r.Note != "" {
			exit = r.Note + " (" + exit + ")"
		}
		r.Note = exit
	}
	return r
}

func backoffRow(st Status, now time.Time) row {
	if st.Backoff <= 0 {
		return row{ID: "backoff", Label: "Backoff", Value: "none"}
	}
	return row{ID: "backoff", Label: "Backoff", Value: "next start in " + fmtDuration(st.BackoffUntil.Sub(now)),
		Note: "delay " + fmtDuration(st.Backoff)}
}

func probeRow(st Status) row {
	return row{ID: "probe-failures", Label: "Probe failures", Value: strconv.Itoa(st.ProbeFailures) + " in a row"}
}

func heartbeatRow(st Status, now time.Time) row {
	r := row{ID: "heartbeat", Label: "Heartbeat", Value: "not seen"}
	if st.HeartbeatKnown && !st.HeartbeatAdvancedAt.IsZero() {
		r.Value = "advanced " + fmtSince(st.HeartbeatAdvancedAt, now) + " ago"
		r.Note = "value " + strconv.FormatFloat(st.HeartbeatValue, 'f', -1, 64)
	}
	return r
}

func fdsRow(st Status) row {
	if !st.FDsKnown {
		return row{ID: "fds", Label: "Open FDs", Value: "not counted yet"}
	}
	return row{ID: "fds", Label: "Open FDs", Value: fmtFDs(st.OpenFDs, st.FDLimit)}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// bundleView is the latest bundle's summary, formatted.
type bundleView struct {
	Path, Error                  string
	Reason, Cause, Captured, PID string
	FDs, Threads                 string
	Checks                       []Check // failing deep checks, at most maxTop
	Top                          []FileCount
	MoreTop                      int // top files not shown
}

// maxTop is how many of summary.json's top files the page lists.
const maxTop = 10

func newBundleView(dir string, s Summary, err error, loc *time.Location) *bundleView {
	b := &bundleView{Path: dir}
	if err != nil {
		b.Error = "summary.json: " + err.Error()
		return b
	}
	b.Reason, b.Cause, b.Captured = orNone(s.Reason), s.Cause, s.CapturedAt
	b.Checks = s.FailingChecks[:min(len(s.FailingChecks), maxTop)]
	if t, perr := time.Parse(time.RFC3339Nano, s.CapturedAt); perr == nil {
		b.Captured = fmtTime(t, loc)
	}
	if s.PID > 0 {
		b.PID = strconv.Itoa(s.PID)
	}
	b.FDs = "not counted"
	if s.OpenFDs != nil {
		var limit uint64
		if s.NofileSoft != nil {
			limit = *s.NofileSoft
		}
		b.FDs = fmtFDs(*s.OpenFDs, limit)
	}
	if s.Threads != nil {
		b.Threads = strconv.Itoa(*s.Threads)
	}
	b.Top = s.TopFiles[:min(len(s.TopFiles), maxTop)]
	b.MoreTop = len(s.TopFiles) - len(b.Top)
	return b
}
