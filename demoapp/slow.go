package demoapp

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// GET /slow's work: 200 ms unless ?ms= says otherwise, at most maxSlow.
const (
	defaultSlow = 200 * time.Millisecond
	maxSlow     = 10 * time.Second
)

// handleSlow answers GET /slow?ms=N after N ms of work (a timer standing
// in for it): an endpoint that takes a while, for load tests such as
// test/bench's load part. It counts as a request like any other; the
// work ends early when the client goes away or the server closes the
// connection at shutdown. A bad ms is 400 with one line saying why.
func (a *app) handleSlow(w http.ResponseWriter, r *http.Request) {
	d, err := slowWork(r.URL.Query().Get("ms"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	work := time.NewTimer(d)
	defer work.Stop()
	select {
	case <-work.C:
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "slow: %d ms\n", d.Milliseconds())
}

// slowWork reads ?ms=: empty is defaultSlow; otherwise a whole number of
// milliseconds from 0 to maxSlow.
func slowWork(ms string) (time.Duration, error) {
	if ms == "" {
		return defaultSlow, nil
	}
	n, err := strconv.Atoi(ms)
	if err != nil || n < 0 || int64(n) > maxSlow.Milliseconds() {
		return 0, fmt.Errorf("ms=%q: give a whole number of milliseconds from 0 to %d", ms, maxSlow.Milliseconds())
	}
	return time.Duration(n) * time.Millisecond, nil
}
