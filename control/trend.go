package control

import (
	"context"
	"sync"
	"time"
)

// Trend bounds: one sample a minute, an hour of them.
const (
	trendEvery = time.Minute
	trendSpan  = time.Hour
)

// trend keeps the child's open-FD count, sampled at a fixed interval, for
// the last span. Its own goroutine (run) adds; Status reads a copy.
type trend struct {
	every, span time.Duration
	sample      func() (open int, ok bool)

	mu      sync.Mutex
	samples []FDSample // oldest first, at most span/every+1
}

// add appends s and forgets what is older than span before s: a pure step
// on the slice, called with mu held.
func (t *trend) add(s FDSample) {
	cut := 0
	for cut < len(t.samples) && s.At.Sub(t.samples[cut].At) > t.span {
		cut++
	}
	limit := int(t.span/t.every) + 1
	if n := len(t.samples) - cut + 1; n > limit {
		cut += n - limit
	}
	t.samples = append(t.samples[cut:], s)
}

// copy returns the samples, oldest first.
func (t *trend) copy() []FDSample {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]FDSample(nil), t.samples...)
}

// run samples now and then every interval until ctx is done.
func (t *trend) run(ctx context.Context) {
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for {
		if open, ok := t.sample(); ok {
			t.mu.Lock()
			t.add(FDSample{At: time.Now(), Open: open})
			t.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
