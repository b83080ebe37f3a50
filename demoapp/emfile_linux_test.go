package demoapp

import (
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/procfs"
)

// BenchmarkEMFileSpin measures the CPU the emfile switch burns while one
// connection waits in the backlog: the WebUI's socketserver spun at 50-90%
// of a core; this loop retries without a pause, so expect about one core.
// It prints cores (CPU seconds per wall second of the child).
func BenchmarkEMFileSpin(b *testing.B) {
	c := startHelper(b, "serve-nofile", strconv.Itoa(childNofile), b.TempDir())
	client := &http.Client{Timeout: waitLimit}
	resp, err := client.Post("http://"+c.addr+"/demo/emfile", "", nil)
	if err != nil {
		b.Fatalf("POST /demo/emfile: %v", err)
	}
	_ = resp.Body.Close()
	client.CloseIdleConnections()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("POST /demo/emfile: HTTP %d", resp.StatusCode)
	}
	dialed(b, c.addr) // waits in the backlog for good: the loop spins
	proc, err := procfs.NewProc(c.cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	cpu0, t0 := cpuSeconds(b, proc), time.Now()
	tick := time.NewTicker(20 * time.Millisecond) // the measurement window grows with b.N
	defer tick.Stop()
	for b.Loop() {
		<-tick.C
	}
	cores := (cpuSeconds(b, proc) - cpu0) / time.Since(t0).Seconds()
	b.ReportMetric(cores, "cores")
}

func cpuSeconds(b *testing.B, p procfs.Proc) float64 {
	b.Helper()
	st, err := p.Stat()
	if err != nil {
		b.Fatalf("read the child's CPU time: %v", err)
	}
	return st.CPUTime()
}

// dialed is a connection that waits in the backlog of the app at addr.
func dialed(t testing.TB, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, waitLimit)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
