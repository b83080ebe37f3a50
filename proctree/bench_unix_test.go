//go:build linux || darwin

package proctree

import (
	"context"
	"net"
	"os"
	"os/exec"
	"testing"
)

// The cost of one scan on this host: hsup pays Snapshot at stop time and
// at start (reclaim), and Listeners once per child start.

func BenchmarkSnapshot(b *testing.B) {
	for b.Loop() {
		if _, err := Snapshot(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIdentify(b *testing.B) {
	pid := os.Getpid()
	for b.Loop() {
		if _, ok := Identify(pid); !ok {
			b.Fatal("Identify(self) found nothing")
		}
	}
}

func BenchmarkListeners(b *testing.B) {
	port := benchListener(b)
	for b.Loop() {
		if pids, _, err := Listeners(context.Background(), port); err != nil || len(pids) != 1 {
			b.Fatalf("Listeners(%d) = %v, %v", port, pids, err)
		}
	}
}

// BenchmarkLsofListeners is the macOS way, measured where lsof exists.
func BenchmarkLsofListeners(b *testing.B) {
	if _, err := exec.LookPath("lsof"); err != nil {
		b.Skipf("lsof not on PATH: %v", err)
	}
	port := benchListener(b)
	for b.Loop() {
		if pids, err := lsofListeners(context.Background(), port); err != nil || len(pids) != 1 {
			b.Fatalf("lsofListeners(%d) = %v, %v", port, pids, err)
		}
	}
}

// benchListener listens on a loopback port in this process until the
// benchmark ends.
func benchListener(b *testing.B) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// BenchmarkWalk is the periodic scan of a small tree (this process's):
// compare with BenchmarkSnapshot, which reads every process.
func BenchmarkWalk(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Walk(os.Getpid()); err != nil {
			b.Fatal(err)
		}
	}
}
