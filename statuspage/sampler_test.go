package statuspage

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestSampleFDs: a sample at once and every interval after, none while
// the count is unknown, and a clean return when the context ends.
func TestSampleFDs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHistory()
		var calls atomic.Int32
		read := func() (int, uint64, bool) {
			n := calls.Add(1)
			return int(n) * 10, 1024, n != 2 // the second reading is unknown
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- h.SampleFDs(ctx, 10*time.Second, read) }()
		time.Sleep(35 * time.Second) // virtual: readings at 0, 10, 20 and 30 s
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("SampleFDs = %v, want nil when its context ends", err)
		}
		s := h.snapshot()
		if calls.Load() != 4 || len(s.fds) != 3 || s.limit != 1024 {
			t.Fatalf("%d readings, %d buckets, limit %d; want 4 readings, 3 buckets (one unknown), 1024", calls.Load(), len(s.fds), s.limit)
		}
		if s.fds[0].Max != 10 || s.fds[1].Max != 30 || s.fds[2].Max != 40 {
			t.Errorf("buckets %+v, want the readings 10, 30, 40", s.fds)
		}
	})
}
