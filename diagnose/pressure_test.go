package diagnose

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap/zaptest"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name      string
		open      int
		limit     uint64
		armed     bool
		warn      float64
		restart   float64
		want      Action
		wantArmed bool
	}{
		{name: "low stays armed", open: 10, limit: 100, armed: true, warn: 0.8, want: ActNone, wantArmed: true},
		{name: "low re-arms", open: 79, limit: 100, armed: false, warn: 0.8, want: ActNone, wantArmed: true},
		{name: "crossing warns once", open: 80, limit: 100, armed: true, warn: 0.8, want: ActWarn, wantArmed: false},
		{name: "still high stays quiet", open: 90, limit: 100, armed: false, warn: 0.8, want: ActNone, wantArmed: false},
		{name: "restart off", open: 100, limit: 100, armed: false, warn: 0.8, want: ActNone, wantArmed: false},
		{name: "restart wins over warn", open: 96, limit: 100, armed: true, warn: 0.8, restart: 0.95, want: ActRestart, wantArmed: false},
		{name: "between warn and restart", open: 90, limit: 100, armed: true, warn: 0.8, restart: 0.95, want: ActWarn, wantArmed: false},
		{name: "restart without warn", open: 95, limit: 100, armed: true, warn: -1, restart: 0.95, want: ActRestart, wantArmed: false},
		{name: "warn disabled", open: 90, limit: 100, armed: true, warn: -1, want: ActNone, wantArmed: true},
		{name: "unknown limit", open: 5000, limit: 0, armed: true, warn: 0.8, restart: 0.95, want: ActNone, wantArmed: true},
		{name: "unlimited", open: 1 << 20, limit: ^uint64(0), armed: true, warn: 0.8, restart: 0.95, want: ActNone, wantArmed: true},
		{name: "the production wedge", open: 366, limit: 256, armed: true, warn: 0.8, restart: 0.95, want: ActRestart, wantArmed: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, armed := decide(tt.open, tt.limit, tt.armed, tt.warn, tt.restart)
			if got != tt.want || armed != tt.wantArmed {
				t.Fatalf("decide(%d, %d, %v, %v, %v) = %v, %v; want %v, %v",
					tt.open, tt.limit, tt.armed, tt.warn, tt.restart, got, armed, tt.want, tt.wantArmed)
			}
		})
	}
}

// fakeCounts feeds Watch the counts a test sets, on virtual time.
type fakeCounts struct {
	open  atomic.Int64
	limit uint64
}

func (f *fakeCounts) count(int) (int, error)        { return int(f.open.Load()), nil }
func (f *fakeCounts) softLimit(int) (uint64, error) { return f.limit, nil }

// watchVirtual runs Watch in the bubble; readings arrive on the channel.
// The pid is the test's own: the counts are fake, but a failed count asks
// whether the pid still exists (kill 0), which must not probe a stranger.
func watchVirtual(t *testing.T, p *Pressure) (chan Reading, context.CancelFunc, <-chan struct{}) {
	t.Helper()
	readings := make(chan Reading, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Watch(ctx, os.Getpid(), func(r Reading) { readings <- r })
	}()
	t.Cleanup(func() { cancel(); <-done })
	return readings, cancel, done
}

func TestWatchWarnsOncePerCrossing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeCounts{limit: 200}
		p := &Pressure{Warn: 0.8, Interval: 10 * time.Second, Log: zaptest.NewLogger(t), count: f.count, SoftLimit: f.softLimit}
		f.open.Store(10)
		readings, _, _ := watchVirtual(t, p)
		var acts []Action
		for i, open := range []int64{10, 170, 180, 190, 20, 175, 176} {
			if i > 0 { // the first count is at once
				f.open.Store(open)
				time.Sleep(10 * time.Second)
			}
			synctest.Wait()
			if len(readings) != 1 {
				t.Fatalf("count %d: %d readings, want one per interval", i, len(readings))
			}
			r := <-readings
			if r.Open != int(open) || r.Limit != 200 {
				t.Fatalf("reading %+v, want %d of 200", r, open)
			}
			acts = append(acts, r.Action)
		}
		want := []Action{ActNone, ActWarn, ActNone, ActNone, ActNone, ActWarn, ActNone}
		if !slices.Equal(acts, want) {
			t.Fatalf("actions %v, want %v: one warning per crossing", acts, want)
		}
	})
}

func TestWatchReportsRestartAndReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeCounts{limit: 200}
		f.open.Store(185)
		p := &Pressure{Warn: 0.8, Restart: 0.9, Interval: time.Second, Log: zaptest.NewLogger(t), count: f.count, SoftLimit: f.softLimit}
		readings, _, done := watchVirtual(t, p)
		if r := <-readings; r.Action != ActRestart || r.Detail != "185 of 200 file descriptors open" {
			t.Fatalf("reading %+v, want a restart with its sentence", r)
		}
		<-done // Watch returned after the restart reading
		if len(readings) != 0 {
			t.Fatalf("%d readings after the restart, want none", len(readings))
		}
	})
}

func TestWatchStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &Pressure{Interval: time.Second, Limit: 10, Log: zaptest.NewLogger(t),
			count: func(int) (int, error) { return 0, errors.New("no such process") }}
		readings, cancel, done := watchVirtual(t, p)
		time.Sleep(time.Minute) // counting fails quietly, every second
		cancel()
		<-done
		if len(readings) != 0 {
			t.Fatalf("%d readings for a process that cannot be counted", len(readings))
		}
	})
}
