package supervise

import (
	"context"
	"errors"
	"os"
	"testing"
	"testing/synctest"
	"time"
)

func TestCrashLoopJudge(t *testing.T) {
	tests := []struct {
		name                      string
		policy                    CrashLoopPolicy
		streak                    int
		announce, looping, giveUp bool
	}{
		{"off", CrashLoopPolicy{}, 100, false, false, false},
		{"before the loop", CrashLoopPolicy{After: 3}, 2, false, false, false},
		{"the restart that makes it", CrashLoopPolicy{After: 3}, 3, true, true, false},
		{"in it, announced once", CrashLoopPolicy{After: 3}, 4, false, true, false},
		{"give up after N restarts: the N+1th is not made", CrashLoopPolicy{After: 3, GiveUp: 5}, 6, false, true, true},
		{"the Nth still is", CrashLoopPolicy{After: 3, GiveUp: 5}, 5, false, true, false},
		{"give up without a loop announced", CrashLoopPolicy{GiveUp: 1}, 2, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, l, g := tt.policy.Judge(tt.streak)
			if a != tt.announce || l != tt.looping || g != tt.giveUp {
				t.Errorf("Judge(%d) = %v, %v, %v; want %v, %v, %v", tt.streak, a, l, g, tt.announce, tt.looping, tt.giveUp)
			}
		})
	}
}

// A child that crashes at once: the third restart in a row announces the
// loop (once) and waits the cap from then on; after five restarts hsup
// gives up and returns ExitGaveUp.
func TestCrashLoopAnnouncedThenGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, func(_ *harness, c *Config) { c.CrashLoop = CrashLoopPolicy{After: 3, GiveUp: 5} })
		p := recv(t, h.starter.started, "first start")
		var loops int
		var delays []time.Duration
		for i := 1; i <= 5; i++ {
			p.exit(3)
			for {
				e := recv(t, h.events, "an event")
				if _, ok := e.(CrashLoop); ok {
					loops++
					if i != 3 {
						t.Fatalf("crash loop announced at restart %d, want 3", i)
					}
				}
				if b, ok := e.(BackingOff); ok {
					delays = append(delays, b.Delay)
					break
				}
			}
			p = recv(t, h.starter.started, "restart")
		}
		if loops != 1 || delays[2] != 8*time.Second || delays[3] != 8*time.Second {
			t.Fatalf("%d announcements, delays %v; want one, and the 8s cap from the third", loops, delays)
		}
		p.exit(3)
		g := until[GaveUp](t, h)
		if g.Restarts != 5 || g.Code != 3 || g.Reason != ReasonExit {
			t.Fatalf("gave up %+v, want 5 restarts, code 3, reason exit", g)
		}
		if r := h.done(t); r.code != ExitGaveUp || r.err != nil {
			t.Fatalf("Run = %d, %v; want %d", r.code, r.err, ExitGaveUp)
		}
	})
}

// A program that keeps failing to start (removed after the first start)
// gives up too.
func TestStartFailuresGiveUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := runFake(t, func(_ *harness, c *Config) { c.CrashLoop = CrashLoopPolicy{GiveUp: 2} })
		p := recv(t, h.starter.started, "first start")
		gone := &StartError{Code: 127, Err: os.ErrNotExist}
		h.starter.failNext(gone)
		p.exit(1)
		h.starter.failNext(gone)
		until[GaveUp](t, h)
		if r := h.done(t); r.code != ExitGaveUp {
			t.Fatalf("Run = %d, want %d", r.code, ExitGaveUp)
		}
	})
}

// Ask: a capture keeps the child, a restart captures then stops it with
// reason manual and brings it back even under --restart=never; both are
// refused while a capture runs or no child exists.
func TestAsk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		capt := newFakeCapture()
		h := runFake(t, func(_ *harness, c *Config) { c.Capture, c.Restart = capt, RestartNever })
		p := recv(t, h.starter.started, "start")
		ctx := context.Background()
		if err := h.sup.Ask(ctx, RequestCapture); err != nil {
			t.Fatal(err)
		}
		if err := h.sup.Ask(ctx, RequestRestart); !errors.Is(err, ErrBusy) {
			t.Fatalf("restart during a capture: %v, want ErrBusy", err)
		}
		if reason := recv(t, capt.calls, "the capture"); reason != ReasonManual {
			t.Fatalf("capture reason %q, want manual", reason)
		}
		capt.release <- struct{}{}
		if f := until[CaptureFinished](t, h); f.Restart || h.state() != Running {
			t.Fatalf("capture %+v, state %v: want a bundle and the child kept", f, h.state())
		}
		if err := h.sup.Ask(ctx, RequestRestart); err != nil {
			t.Fatal(err)
		}
		if d := until[ChildDegraded](t, h); d.Reason != ReasonManual {
			t.Fatalf("degraded %+v, want reason manual", d)
		}
		recv(t, capt.calls, "the restart's capture")
		capt.release <- struct{}{}
		until[ChildStopping](t, h)
		p.exit(143)
		if b := until[BackingOff](t, h); b.Reason != ReasonManual {
			t.Fatalf("backoff %+v, want reason manual", b)
		}
		if err := h.sup.Ask(ctx, RequestCapture); !errors.Is(err, ErrNoChild) {
			t.Fatalf("capture in backoff: %v, want ErrNoChild", err)
		}
		recv(t, h.starter.started, "the restart, despite --restart=never")
	})
}

// A request whose asker gave up before the loop took it (hsup was paused
// past the asker's deadline) is not acted on: the operator was told it
// failed.
func TestAskAfterTheAskerGaveUp(t *testing.T) {
	s := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.answer(ask{r: RequestRestart, ctx: ctx}); !errors.Is(err, context.Canceled) {
		t.Fatalf("answer = %v, want the asker's context.Canceled before anything else", err)
	}
}
