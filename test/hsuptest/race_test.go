package hsuptest

import (
	"strings"
	"testing"
)

func TestRaceReportKeepsOnlyReports(t *testing.T) {
	stderr := `{"level":"info","msg":"child running"}
some child output
==================
WARNING: DATA RACE
Write at 0x00c000012345 by goroutine 7:
  main.racer.func1()
Previous write at 0x00c000012345 by main goroutine:
  main.racer()
==================
more child output
Found 1 data race(s)
`
	var r raceReport
	for line := range strings.SplitAfterSeq(stderr, "\n") {
		r.feed([]byte(line))
	}
	got := r.text.String()
	if !strings.HasPrefix(got, "==================\nWARNING: DATA RACE\n") || !strings.HasSuffix(got, "main.racer()\n==================\n") {
		t.Fatalf("report = %q, want the framed report", got)
	}
	if strings.Contains(got, "child output") || strings.Contains(got, "Found 1") {
		t.Fatalf("report = %q, want nothing outside the frame", got)
	}
	var clean raceReport
	clean.feed([]byte("==================\n"))
	clean.feed([]byte("no race here\n"))
	if clean.text.Len() != 0 {
		t.Fatalf("report of a clean stderr = %q, want empty", clean.text.String())
	}
}
