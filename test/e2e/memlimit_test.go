package e2e

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
	"github.com/hsup/hsup/test/reexec"
)

func init() { reexec.Register("memlimit", helperMemlimit) }

// helperMemlimit: announce GOMEMLIMIT as the child sees it (its
// environment and its runtime's limit), wait for SIGTERM (a minute at most).
func helperMemlimit(...string) int {
	env, set := os.LookupEnv("GOMEMLIMIT")
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	say("helper ready", "env", env, "set", set, "limit", fmt.Sprint(debug.SetMemoryLimit(-1)))
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	select {
	case <-ch:
		return 0
	case <-t.C:
		return 99
	}
}

// TestMemoryLimit: hsup runs under a 7 MiB soft memory limit unless
// GOMEMLIMIT says otherwise, and sets it on itself only: the child gets
// no GOMEMLIMIT from hsup, and one from hsup's environment as it was.
func TestMemoryLimit(t *testing.T) {
	const none = "9223372036854775807" // math.MaxInt64: the runtime's "no limit"
	tests := []struct {
		name      string
		env       []string
		hsupLimit float64
		childSet  bool
		childEnv  string
		childLim  string
	}{
		{name: "default", hsupLimit: 7 << 20, childLim: none},
		{name: "GOMEMLIMIT wins", env: []string{"GOMEMLIMIT=64MiB"}, hsupLimit: 64 << 20,
			childSet: true, childEnv: "64MiB", childLim: fmt.Sprint(64 << 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			metrics := fmt.Sprintf("127.0.0.1:%d", hsuptest.FreePort(t))
			cmd, guard := helperCmd(t, "memlimit")
			p := hsuptest.Start(t, append(runArgs(t, "--metrics-addr="+metrics), cmd...), append(tt.env, guard)...)
			l := ready(p, t)
			set, _ := l["set"].(bool)
			if set != tt.childSet || l.Str("env") != tt.childEnv || l.Str("limit") != tt.childLim {
				t.Errorf("child saw GOMEMLIMIT set=%v %q, limit %s; want set=%v %q, limit %s",
					set, l.Str("env"), l.Str("limit"), tt.childSet, tt.childEnv, tt.childLim)
			}
			samples, _ := hsuptest.Scrape(t, "http://"+metrics+"/metrics")
			if got := samples["go_gc_gomemlimit_bytes"]; got != tt.hsupLimit {
				t.Errorf("hsup's go_gc_gomemlimit_bytes %.0f, want %.0f", got, tt.hsupLimit)
			}
			p.Signal(t, syscall.SIGTERM)
			if code := p.Wait(t, exitWait); code != 0 {
				t.Fatalf("exit %d after SIGTERM, want 0; stderr:\n%s", code, p.RawStderr())
			}
		})
	}
}
