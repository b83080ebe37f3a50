package hsuptest

import (
	"bytes"
	"testing"
)

var (
	// raceMark opens a report of Go's race detector; raceRule frames it.
	raceMark = []byte("WARNING: DATA RACE")
	raceRule = []byte("==================")
)

// maxRaceReport bounds how much of the reports a Proc keeps.
const maxRaceReport = 64 << 10

// raceReport collects the race detector's reports from hsup's stderr (a
// race in the child shows there too: hsup copies the child's stderr).
type raceReport struct {
	text   bytes.Buffer
	inside bool
}

// feed takes one line of stderr, with or without its newline.
func (r *raceReport) feed(line []byte) {
	if bytes.Contains(line, raceMark) {
		r.inside = true
		r.add(raceRule)
	}
	if !r.inside {
		return
	}
	r.add(line)
	if bytes.HasPrefix(line, raceRule) {
		r.inside = false
	}
}

func (r *raceReport) add(line []byte) {
	if r.text.Len() >= maxRaceReport {
		return
	}
	r.text.Write(bytes.TrimRight(line, "\n"))
	r.text.WriteByte('\n')
}

// checkRace fails the test when hsup (or its child) reported a data race.
// Call it only after p.done is closed: the goroutine reading stderr is the
// only writer of p.race, and closing p.done orders its writes before this.
func (p *Proc) checkRace(t testing.TB) {
	t.Helper()
	if report := p.race.text.String(); report != "" {
		t.Errorf("the race detector found a data race in hsup or its child (hsup exit %d):\n%s", p.code, report)
	}
}
