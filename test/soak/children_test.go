//go:build linux

package soak

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hsup/hsup/test/reexec"
)

// The fake children, for the Linux tests that run them under hsup; each
// returns the process's exit code.
func init() {
	reexec.Register("exit", exitChild)   // crash_linux_test.go, sigterm_linux_test.go
	reexec.Register("flood", floodChild) // flood_linux_test.go
	reexec.Register("serve", serveChild) // sigterm_linux_test.go
	reexec.Register("spawn", spawnChild) // grandchildren_linux_test.go
}

// exitChild exits at once with the code in args[0].
func exitChild(args ...string) int {
	code, err := strconv.Atoi(strings.Join(args, ""))
	if err != nil {
		fmt.Fprintln(os.Stderr, "exit child: want CODE")
		return 2
	}
	return code
}

// floodChild writes 4 KiB lines to stdout and stderr in turn, as fast as
// it can, for the duration args[1]. It times every write() and finally
// writes "MAX_NS BYTES WRITES" to the file args[0] (via a rename) and
// exits 0. A write that blocks means hsup is not draining its pipes.
func floodChild(args ...string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "flood child: want REPORT DURATION")
		return 2
	}
	d, err := time.ParseDuration(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "flood child:", err)
		return 2
	}
	line := append(bytes.Repeat([]byte("flood "), 4096/6), '\n')
	outs := [2]*os.File{os.Stdout, os.Stderr}
	var longest time.Duration
	var total, writes int64
	for end := time.Now().Add(d); time.Now().Before(end); writes++ {
		start := time.Now()
		n, err := outs[writes%2].Write(line)
		if took := time.Since(start); took > longest {
			longest = took
		}
		total += int64(n)
		if err != nil {
			return 3
		}
	}
	report := fmt.Sprintf("%d %d %d\n", longest.Nanoseconds(), total, writes)
	if err := writeAtomic(args[0], report); err != nil {
		return 4
	}
	return 0
}

// serveChild serves on args[0]: GET /health answers {"status":"ok"} until
// POST /fail (then 500 with a JSON body) or POST /wedge (then requests hang,
// as a wedged app's do). With args[1] "ignore-term" it ignores SIGTERM;
// otherwise SIGTERM makes it exit 0.
func serveChild(args ...string) int {
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "serve child: want ADDR [ignore-term]")
		return 2
	}
	return serve(args[0], len(args) > 1 && args[1] == "ignore-term")
}

// spawnChild starts args[2] grandchildren (sleep 600) in its process
// group, writes that group's id and then their pids to args[1]/<its
// pid>.pids, one a line (via a rename), then
// serves like serveChild on args[0]. With args[3] "ignore-term" the
// grandchildren ignore SIGTERM, so only the group's SIGKILL ends them.
func spawnChild(args ...string) int {
	if len(args) != 4 {
		fmt.Fprintln(os.Stderr, "spawn child: want ADDR PIDDIR N MODE")
		return 2
	}
	n, err := strconv.Atoi(args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "spawn child:", err)
		return 2
	}
	var pids strings.Builder
	fmt.Fprintln(&pids, syscall.Getpgrp())
	for range n {
		cmd := exec.Command("sleep", "600")
		if args[3] == "ignore-term" {
			// An ignored signal stays ignored across exec.
			cmd = exec.Command("sh", "-c", `trap "" TERM; exec sleep 600`)
		}
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "spawn child:", err)
			return 1
		}
		fmt.Fprintln(&pids, cmd.Process.Pid)
	}
	file := filepath.Join(args[1], strconv.Itoa(os.Getpid())+".pids")
	if err := writeAtomic(file, pids.String()); err != nil {
		fmt.Fprintln(os.Stderr, "spawn child:", err)
		return 1
	}
	return serve(args[0], false)
}

// serve runs the /health server of serveChild until SIGTERM or, when
// ignoreTerm, until SIGINT or SIGKILL.
func serve(addr string, ignoreTerm bool) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve child:", err)
		return 1
	}
	var failing, wedged atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case wedged.Load():
			<-r.Context().Done()
		case failing.Load():
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"status":"error","error":"told to fail"}`)
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"status":"ok"}`)
		}
	})
	mux.HandleFunc("POST /fail", func(http.ResponseWriter, *http.Request) { failing.Store(true) })
	mux.HandleFunc("POST /wedge", func(http.ResponseWriter, *http.Request) { wedged.Store(true) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	sigs := make(chan os.Signal, 1)
	if ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
		signal.Notify(sigs, syscall.SIGINT)
	} else {
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	}
	<-sigs
	_ = srv.Close()
	return 0
}

func writeAtomic(path, text string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return nil
}
