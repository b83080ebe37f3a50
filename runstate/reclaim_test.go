//go:build unix

package runstate

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestOrphans(t *testing.T) {
	child := Member{Pid: 42, Pgid: 42, Start: 1000, Comm: "python3"}
	guard := Member{Pid: 43, Pgid: 42, Start: 1001, Comm: "hsup"}
	worker := Member{Pid: 50, Pgid: 50, Start: 1100, Comm: "worker"}
	tests := []struct {
		name        string
		record      Record
		alive       []Member // what same recognises
		wantOrphans []Member
		wantStale   []Member
	}{
		{name: "no record"},
		{
			name:        "all alive",
			record:      Record{Child: child, Members: []Member{guard, worker}},
			alive:       []Member{child, guard, worker},
			wantOrphans: []Member{child, guard, worker},
		},
		{
			name:      "all gone",
			record:    Record{Child: child, Members: []Member{guard, worker}},
			wantStale: []Member{child, guard, worker},
		},
		{
			name:        "child gone, setsid worker left",
			record:      Record{Child: child, Members: []Member{guard, worker}},
			alive:       []Member{worker},
			wantOrphans: []Member{worker},
			wantStale:   []Member{child, guard},
		},
		{
			name:        "pid reused: another start time is not the child",
			record:      Record{Child: child, Members: []Member{guard}},
			alive:       []Member{{Pid: 42, Pgid: 42, Start: 9999}, guard},
			wantOrphans: []Member{guard},
			wantStale:   []Member{child},
		},
		{
			name:        "child listed twice counts once",
			record:      Record{Child: child, Members: []Member{child, guard}},
			alive:       []Member{child, guard},
			wantOrphans: []Member{child, guard},
		},
		{
			name:        "no child, members only",
			record:      Record{Members: []Member{worker}},
			alive:       []Member{worker},
			wantOrphans: []Member{worker},
		},
		{
			name:      "no identity: never asked, always stale",
			record:    Record{Child: Member{Pid: 1, Start: 1}, Members: []Member{{Pid: 77, Comm: "no start"}, {Pid: -5, Start: 3}}},
			alive:     []Member{{Pid: 1, Start: 1}, {Pid: 77}, {Pid: -5, Start: 3}},
			wantStale: []Member{{Pid: 1, Start: 1}, {Pid: 77, Comm: "no start"}, {Pid: -5, Start: 3}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			same := func(m Member) bool {
				for _, a := range tt.alive {
					if a.Pid == m.Pid && a.Start == m.Start {
						return true
					}
				}
				return false
			}
			orphans, stale := Orphans(tt.record, same)
			if !reflect.DeepEqual(orphans, tt.wantOrphans) || !reflect.DeepEqual(stale, tt.wantStale) {
				t.Errorf("Orphans = %v, %v; want %v, %v", orphans, stale, tt.wantOrphans, tt.wantStale)
			}
		})
	}
}

// fakeProc is a process of fakeHost.
type fakeProc struct {
	start  uint64
	pgid   int
	ignore bool // survives the stop signal
	reuse  bool // on the stop signal, it exits and its pid goes to a new process
	dead   bool
}

// fakeHost is a process table that Reclaim signals; it records what it is
// sent as "PID SIG", a negative PID being a group.
type fakeHost struct {
	mu    sync.Mutex
	procs map[int]*fakeProc
	sent  []string
}

const (
	fakeSelf  = 100 // hsup's pid and group in fakeHost
	stopSig   = syscall.SIGTERM
	graceTime = 10 * time.Second
)

var sigNames = map[syscall.Signal]string{stopSig: "TERM", sigCont: "CONT", syscall.SIGKILL: "KILL"}

func (f *fakeHost) host() host {
	return host{kill: f.kill, pgid: f.getpgid, self: fakeSelf, selfGroup: fakeSelf}
}

func (f *fakeHost) kill(pid int, sig syscall.Signal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, fmt.Sprintf("%d %s", pid, sigNames[sig]))
	for p, proc := range f.procs {
		if !proc.dead && (p == pid || proc.pgid == -pid) {
			proc.deliver(sig)
		}
	}
	return nil
}

func (p *fakeProc) deliver(sig syscall.Signal) {
	switch {
	case sig == syscall.SIGKILL:
		p.dead = true
	case sig == stopSig && p.reuse:
		p.start++
	case sig == stopSig && !p.ignore:
		p.dead = true
	}
}

func (f *fakeHost) getpgid(pid int) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.procs[pid]; ok && !p.dead {
		return p.pgid, nil
	}
	return 0, syscall.ESRCH
}

func (f *fakeHost) same(m Member) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.procs[m.Pid]
	return ok && !p.dead && p.start == m.Start
}

func TestReclaimSignals(t *testing.T) {
	tests := []struct {
		name        string
		procs       map[int]*fakeProc
		orphans     []Member
		cancelled   bool
		wantSent    []string
		wantStopped []int
		wantKilled  []int
		wantLeft    []int
		wantSkipped []int
		wantTook    time.Duration
		wantDead    []int // processes outside orphans that the group signal reached
	}{
		{
			name:        "group goes on the stop signal, unrecorded member too",
			procs:       map[int]*fakeProc{200: {start: 1, pgid: 200}, 201: {start: 2, pgid: 200}, 202: {start: 3, pgid: 200}},
			orphans:     []Member{{Pid: 200, Pgid: 200, Start: 1}, {Pid: 201, Pgid: 200, Start: 2}},
			wantSent:    []string{"-200 TERM"},
			wantStopped: []int{200, 201},
			wantDead:    []int{202},
		},
		{
			name:       "ignores the stop signal: SIGKILL after the grace",
			procs:      map[int]*fakeProc{300: {start: 1, pgid: 300, ignore: true}},
			orphans:    []Member{{Pid: 300, Pgid: 300, Start: 1}},
			wantSent:   []string{"-300 TERM", "300 TERM", "-300 CONT", "300 CONT", "-300 KILL"},
			wantKilled: []int{300},
			wantTook:   graceTime,
		},
		{
			name:        "pid reused before: never signalled, nor its group",
			procs:       map[int]*fakeProc{400: {start: 2, pgid: 400, ignore: true}},
			orphans:     []Member{{Pid: 400, Pgid: 400, Start: 1}},
			wantSkipped: []int{400},
		},
		{
			name:        "pid reused after the group signal: not signalled again",
			procs:       map[int]*fakeProc{500: {start: 1, pgid: 500, reuse: true}},
			orphans:     []Member{{Pid: 500, Pgid: 500, Start: 1}},
			wantSent:    []string{"-500 TERM"},
			wantStopped: []int{500},
		},
		{
			name:        "left its recorded group: signalled alone",
			procs:       map[int]*fakeProc{600: {start: 1, pgid: 601}, 602: {start: 1, pgid: 600}},
			orphans:     []Member{{Pid: 600, Pgid: 600, Start: 1}},
			wantSent:    []string{"600 TERM"},
			wantStopped: []int{600},
		},
		{
			name:       "group anchored by a member, not only the leader",
			procs:      map[int]*fakeProc{700: {start: 1, pgid: 700, ignore: true}, 701: {start: 1, pgid: 700, ignore: true}},
			orphans:    []Member{{Pid: 701, Pgid: 700, Start: 1}},
			wantSent:   []string{"-700 TERM", "701 TERM", "-700 CONT", "701 CONT", "-700 KILL"},
			wantKilled: []int{701},
			wantTook:   graceTime,
			wantDead:   []int{700},
		},
		{
			// The limit of the rule: with no recorded process left in it, a
			// group is not signalled again, so an unrecorded member that
			// ignores the stop signal survives (hsup records descendants so
			// that this does not happen).
			name:        "anchor gone: the group is not signalled again",
			procs:       map[int]*fakeProc{710: {start: 1, pgid: 710, ignore: true}, 711: {start: 1, pgid: 710}},
			orphans:     []Member{{Pid: 711, Pgid: 710, Start: 1}},
			wantSent:    []string{"-710 TERM"},
			wantStopped: []int{711},
		},
		{
			name: "never hsup, its group, pid 1 or group 1",
			procs: map[int]*fakeProc{
				fakeSelf: {start: 1, pgid: fakeSelf, ignore: true},
				1:        {start: 1, pgid: 1, ignore: true},
				800:      {start: 1, pgid: fakeSelf},
				801:      {start: 1, pgid: 1},
			},
			orphans:     []Member{{Pid: fakeSelf, Pgid: fakeSelf, Start: 1}, {Pid: 1, Pgid: 1, Start: 1}, {Pid: 800, Pgid: fakeSelf, Start: 1}, {Pid: 801, Pgid: 1, Start: 1}},
			wantSent:    []string{"800 TERM", "801 TERM"},
			wantStopped: []int{800, 801},
			wantKilled:  []int{fakeSelf, 1},
			wantLeft:    []int{fakeSelf, 1},
			wantTook:    graceTime + killWait,
		},
		{
			name:       "context done: SIGKILL at once",
			procs:      map[int]*fakeProc{900: {start: 1, pgid: 900, ignore: true}},
			orphans:    []Member{{Pid: 900, Pgid: 900, Start: 1}},
			cancelled:  true,
			wantSent:   []string{"-900 TERM", "900 TERM", "-900 CONT", "900 CONT", "-900 KILL"},
			wantKilled: []int{900},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeHost{procs: tt.procs}
				ctx, cancel := context.WithCancel(t.Context())
				if tt.cancelled {
					cancel()
				}
				defer cancel()
				rep := reclaimer{host: f.host(), same: f.same}.run(ctx, tt.orphans, stopSig, graceTime)
				check := func(what string, got []Member, want []int) {
					if !reflect.DeepEqual(pids(got), want) {
						t.Errorf("%s = %v, want pids %v", what, got, want)
					}
				}
				check("Stopped", rep.Stopped, tt.wantStopped)
				check("Killed", rep.Killed, tt.wantKilled)
				check("Left", rep.Left, tt.wantLeft)
				check("Skipped", rep.Skipped, tt.wantSkipped)
				if !reflect.DeepEqual(f.sent, tt.wantSent) {
					t.Errorf("sent %q, want %q", f.sent, tt.wantSent)
				}
				if rep.Took != tt.wantTook {
					t.Errorf("Took = %v, want %v", rep.Took, tt.wantTook)
				}
				for _, pid := range tt.wantDead {
					if !f.procs[pid].dead {
						t.Errorf("pid %d in the group survived", pid)
					}
				}
			})
		})
	}
}

// TestReclaimEndsGraceEarly: a process that takes a while to act on the
// stop signal ends the wait when it goes, not at the end of the grace.
func TestReclaimEndsGraceEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeHost{procs: map[int]*fakeProc{300: {start: 1, pgid: 300, ignore: true}}}
		go func() {
			time.Sleep(time.Second) // virtual: the process exits a second after the signal
			f.mu.Lock()
			f.procs[300].dead = true
			f.mu.Unlock()
		}()
		rep := reclaimer{host: f.host(), same: f.same}.run(t.Context(), []Member{{Pid: 300, Pgid: 300, Start: 1}}, stopSig, graceTime)
		if len(rep.Stopped) != 1 || len(rep.Killed) != 0 {
			t.Errorf("report %+v, want the process stopped without SIGKILL", rep)
		}
		if rep.Took < time.Second || rep.Took > time.Second+pollEvery {
			t.Errorf("Took = %v, want about 1s (the poll ends the grace early)", rep.Took)
		}
	})
}

func pids(ms []Member) []int {
	var out []int
	for _, m := range ms {
		out = append(out, m.Pid)
	}
	return out
}
