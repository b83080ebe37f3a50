package statuspage

import (
	"context"
	"time"

	"github.com/hsup/hsup/tick"
)

// SampleFDs feeds h the child's open descriptors: a sample at once, then
// one every every, until ctx is done (it returns nil then). read returns
// the count and the soft limit (0 unknown), ok false when they are not
// known (no child, not counted yet); it must not block (the supervisor's
// published status is an atomic load).
func (h *History) SampleFDs(ctx context.Context, every time.Duration, read func() (open int, limit uint64, ok bool)) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if open, limit, ok := read(); ok {
			h.FDs(time.Now(), open, limit)
		}
		t.Reset(tick.Next(time.Now(), every)) // on the second, with hsup's other loops
	}
}
