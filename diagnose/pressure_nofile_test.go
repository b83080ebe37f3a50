package diagnose

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hsup/hsup/fdlimit"
)

func TestJudgeLimit(t *testing.T) {
	unreadable := errors.ErrUnsupported
	tests := []struct {
		name       string
		own        uint64
		ownErr     error
		fallback   uint64
		source     fdlimit.Source
		want       uint64
		wantSource fdlimit.Source
	}{
		{name: "the child's own wins (Linux)", own: 1024, fallback: 4096, source: fdlimit.SourceSet, want: 1024, wantSource: fdlimit.SourceChild},
		{name: "own unlimited", own: ^uint64(0), want: ^uint64(0), wantSource: fdlimit.SourceChild},
		{name: "macOS with --nofile", ownErr: unreadable, fallback: 4096, source: fdlimit.SourceSet, want: 4096, wantSource: fdlimit.SourceSet},
		{name: "macOS with --nofile=0", ownErr: unreadable, fallback: 256, source: fdlimit.SourceInherited, want: 256, wantSource: fdlimit.SourceInherited},
		{name: "nothing known", ownErr: unreadable, source: fdlimit.SourceInherited, want: 0, wantSource: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, source := judgeLimit(tt.own, tt.ownErr, tt.fallback, tt.source)
			if got != tt.want || source != tt.wantSource {
				t.Fatalf("judgeLimit() = %d %q, want %d %q", got, source, tt.want, tt.wantSource)
			}
		})
	}
}

// TestWatchJudgesAgainstFallback is the macOS case on any platform: the
// child's limit is unreadable, so the limit hsup knows the child started
// with is judged against and named in the reading; with none, nothing is
// judged and that is said once.
func TestWatchJudgesAgainstFallback(t *testing.T) {
	unreadable := func(int) (uint64, error) { return 0, errors.ErrUnsupported }
	tests := []struct {
		name       string
		limit      uint64
		source     fdlimit.Source
		wantAction Action
		wantSource fdlimit.Source
		wantWarns  int
	}{
		{name: "inherited limit", limit: 256, source: fdlimit.SourceInherited, wantAction: ActWarn, wantSource: fdlimit.SourceInherited},
		{name: "no limit known", limit: 0, source: fdlimit.SourceInherited, wantAction: ActNone, wantSource: "", wantWarns: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				core, logs := observer.New(zap.WarnLevel)
				f := &fakeCounts{}
				f.open.Store(230)
				p := &Pressure{Interval: time.Second, Limit: tt.limit, LimitSource: tt.source, Log: zap.New(core),
					count: f.count, SoftLimit: unreadable}
				readings, _, _ := watchVirtual(t, p)
				time.Sleep(5 * time.Second)
				synctest.Wait()
				r := <-readings
				if r.Limit != tt.limit || r.Action != tt.wantAction {
					t.Fatalf("first reading %+v, want limit %d and %v", r, tt.limit, tt.wantAction)
				}
				if r.Source != tt.wantSource {
					t.Fatalf("reading's source %q, want %q", r.Source, tt.wantSource)
				}
				if n := logs.FilterMessageSnippet("not judged").Len(); n != tt.wantWarns {
					t.Fatalf("%d warnings that nothing is judged over 6 counts, want %d", n, tt.wantWarns)
				}
			})
		})
	}
}
