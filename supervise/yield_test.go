package supervise

import "time"

// runtimeYield paces a bounded polling loop on /proc, which has no event to
// wait on; it is not used to order anything.
func runtimeYield() {
	t := time.NewTimer(5 * time.Millisecond)
	<-t.C
}
