//go:build linux

package main

import "time"

// The wedge part's hsup rows. hsup (tight) runs with the accept-queue
// watch at its default (--accept-stall=2s); the rows below it show the
// same probes with the watch off (what the part measured before the
// watch), and with a 1 s stall. The part's own recovery poll (a fresh connection every 10 ms)
// is a client: the queue starts to fill as soon as the switch is flipped.
var (
	tightProbes   = []string{"--health-interval=1s", "--health-timeout=1s", "--health-failures=2"}
	wedgeTightOff = wedgePolicy{name: "hsup (tight, --accept-stall=0)", interval: time.Second, timeout: time.Second,
		failures: 2, flags: append(tightProbes[:3:3], "--accept-stall=0", "--backoff-reset=0s")}
	wedgeTightStall1 = wedgePolicy{name: "hsup (tight, --accept-stall=1s)", interval: time.Second, timeout: time.Second,
		failures: 2, flags: append(tightProbes[:3:3], "--accept-stall=1s", "--backoff-reset=0s")}
)

// wedgeHsups are the hsup rows of the wedge part, in print order.
func wedgeHsups() []wedgePolicy {
	return []wedgePolicy{wedgeTight, wedgeTightOff, wedgeTightStall1, wedgeDefaults}
}
