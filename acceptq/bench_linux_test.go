package acceptq

import (
	"context"
	"net"
	"os"
	"testing"
	"time"
)

// BenchmarkSample is the cost of one sample of a listener in this
// process's network namespace (two reads of /proc/PID/net/tcp{,6}, as
// many lines as the machine has TCP sockets). While the queue is empty
// the watch takes one a second: it prints what that costs a minute.
func BenchmarkSample(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	ctx := context.Background()
	l, err := Find(ctx, os.Getpid(), ln.Addr().(*net.TCPAddr).Port)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if _, err := l.Sample(ctx); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(per*60)/float64(time.Millisecond), "ms/min-idle")
}

// BenchmarkFind is the cost of one search for the child's socket (once
// per child, and again only when the socket goes).
func BenchmarkFind(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Find(context.Background(), os.Getpid(), port); err != nil {
			b.Fatal(err)
		}
	}
}
