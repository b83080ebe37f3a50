package demoapp

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestListenError(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = taken.Close() })
	addr := taken.Addr().String()
	err = Run(context.Background(), Config{Addr: addr, StateDir: t.TempDir()})
	var le *ListenError
	if !errors.As(err, &le) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Run = %v, want *ListenError wrapping EADDRINUSE", err)
	}
	if want := "listen " + addr + ": address in use; pick another --port"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
}

func TestStateDir(t *testing.T) {
	t.Parallel()
	if err := Run(context.Background(), Config{Addr: "127.0.0.1:0"}); err == nil {
		t.Error("Run with no StateDir succeeded, want an error")
	}
	a := startApp(t, Config{})
	if _, err := os.Stat(filepath.Join(a.dir, "state.db")); err != nil {
		t.Errorf("state.db not created: %v", err)
	}
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), Config{Addr: "127.0.0.1:0", StateDir: notDir}); err == nil {
		t.Error("Run with a file as StateDir succeeded, want an error")
	}
}

func TestStartDelay(t *testing.T) {
	t.Parallel()
	const delay = 300 * time.Millisecond
	start := time.Now()
	startApp(t, Config{StartDelay: delay})
	if took := time.Since(start); took < delay {
		t.Errorf("listening after %v, want at least %v", took, delay)
	}
}

func TestCancelDuringStartDelay(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	out := newReadyWriter()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Addr: "127.0.0.1:0", StateDir: t.TempDir(), StartDelay: time.Hour, Stdout: out})
	}()
	cancel()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		if out.String() != "" {
			t.Errorf("stdout %q, want nothing: it never listened", out.String())
		}
	case <-timer.C:
		t.Fatal("Run did not return within the limit after cancel during the start delay")
	}
}
