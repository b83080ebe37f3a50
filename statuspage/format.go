package statuspage

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// fmtDuration is d for a reader: "850ms", "12.3s", "3m12s", "2h03m",
// "3d04h". Negative durations read as "0s".
func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(math.Floor(d.Seconds()*10)/10, 'f', -1, 64) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// fmtSince is how long ago t was at now ("3m12s"), "" for a zero t.
func fmtSince(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmtDuration(now.Sub(t))
}

// fmtTime is a wall-clock time in the page's zone, "" for a zero t.
func fmtTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04:05 MST")
}

// fmtClock is a time of day for the timeline, "15:04:05".
func fmtClock(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04:05") }

// fmtWhen is a timeline time: the time of day for today's (in loc), with
// the date for earlier days' ("Mar 1 23:59:59").
func fmtWhen(t, now time.Time, loc *time.Location) string {
	ty, tm, td := t.In(loc).Date()
	ny, nm, nd := now.In(loc).Date()
	if ty == ny && tm == nm && td == nd {
		return fmtClock(t, loc)
	}
	return t.In(loc).Format("Jan 2 15:04:05")
}

// fmtLimit is a soft RLIMIT_NOFILE; math.MaxUint64 means no limit.
func fmtLimit(l uint64) string {
	if l == math.MaxUint64 {
		return "unlimited"
	}
	return strconv.FormatUint(l, 10)
}

// fmtFDs is open descriptors against the soft limit: "312 of 4096 (7.6%)".
// limit 0 is unknown.
func fmtFDs(open int, limit uint64) string {
	s := strconv.Itoa(open)
	switch {
	case limit == 0:
		return s + " (limit unknown)"
	case limit == math.MaxUint64:
		return s + " (no limit)"
	}
	pct := 100 * float64(open) / float64(limit)
	return s + " of " + strconv.FormatUint(limit, 10) + " (" + strconv.FormatFloat(pct, 'f', 1, 64) + "%)"
}

// fmtMillis is a latency axis label: "250 ms", "1.5 s".
func fmtMillis(ms float64) string {
	if ms >= 1000 {
		return strconv.FormatFloat(ms/1000, 'f', -1, 64) + " s"
	}
	return strconv.FormatFloat(ms, 'f', -1, 64) + " ms"
}

// fmtCount is an axis label of a count: "500", "2000".
func fmtCount(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
