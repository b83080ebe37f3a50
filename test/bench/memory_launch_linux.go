//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"
)

// buildVariants builds every hsup of builds into tmp and returns their
// paths in the same order. Every row gets a file of its own, so that no
// two rows share a page of their binaries; the release builds are copies
// of one build by scripts/release.sh for this machine's arch.
func buildVariants(ctx context.Context, builds []hsupBuild, tmp string) ([]string, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(builds))
	release := ""
	for i, b := range builds {
		dir := filepath.Join(tmp, "build-"+strconv.Itoa(i))
		out[i] = filepath.Join(dir, "hsup")
		if b.Release && release != "" {
			if err := copyFile(release, out[i]); err != nil {
				return nil, err
			}
			continue
		}
		cmd := exec.CommandContext(ctx, "go", append(append([]string{"build"}, b.goFlags()...), "-o", out[i], "./cmd/hsup")...)
		cmd.Env = os.Environ()
		if b.NoCgo {
			cmd.Env = append(cmd.Env, "CGO_ENABLED=0")
		}
		if b.Release {
			cmd = exec.CommandContext(ctx, filepath.Join(root, "scripts", "release.sh"), "bench")
			cmd.Env = append(os.Environ(), "HSUP_TARGETS=linux/"+runtime.GOARCH, "HSUP_DIST="+dir)
		}
		cmd.Dir = root
		if o, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build %s (%s): %w\n%s", b.Name, b.settings(), err, o)
		}
		if b.Release { // the script's hsup-GOOS-GOARCH becomes hsup, as every row's
			if err := os.Rename(filepath.Join(dir, "hsup-linux-"+runtime.GOARCH), out[i]); err != nil {
				return nil, fmt.Errorf("rename the release build: %w", err)
			}
			release = out[i]
		}
	}
	return out, nil
}

// copyFile copies the executable from to to, a new file.
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("read %s: %w", from, err)
	}
	return writeFile(to, string(b), 0o755)
}

// moduleRoot is the directory of the hsup module bench runs in.
func moduleRoot() (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	path := strings.TrimSpace(string(gomod))
	if err != nil || path == "" || path == os.DevNull {
		return "", fmt.Errorf("find the hsup module (go env GOMOD): %v; run bench from inside the repository", err)
	}
	return filepath.Dir(path), nil
}

// launchBuild runs `hsup run` of one build over the demo app (from child).
func launchBuild(b hsupBuild, hsupBin, child, tmp string) (*supProc, error) {
	return launchMetered(hsupBin, child, tmp, b.Name, "bench-memory", nil, b.Env)
}

// launchMetered runs `hsup run` (hsupBin) over the demo app (from child),
// with flags, /metrics on a free port, --name name and a --state-dir of
// its own; env is added through env(1), which execs hsup in its place
// (same pid). row names it in errors and in its directory.
func launchMetered(hsupBin, child, tmp, row, name string, flags, env []string) (*supProc, error) {
	s, port, err := newSup(tmp, row)
	if err != nil {
		return nil, err
	}
	s.isHsup = true
	mport, err := freePort()
	if err != nil {
		return nil, err
	}
	s.metric = "http://127.0.0.1:" + strconv.Itoa(mport) + "/metrics"
	args := []string{"run", "--log-format=json", "--name=" + name, "--state-dir=" + filepath.Join(s.dir, "hsup-state"),
		"--health-url=" + s.url, "--diag-dir=" + filepath.Join(s.dir, "diag"), "--metrics-addr=127.0.0.1:" + strconv.Itoa(mport)}
	args = append(append(append(args, flags...), "--"), childArgv(child, s.dir, port)...)
	if len(env) == 0 {
		return s, s.start(hsupBin, args...)
	}
	envBin, err := exec.LookPath("env")
	if err != nil {
		return s, fmt.Errorf("%s needs env(1): %w", row, err)
	}
	return s, s.start(envBin, append(append(append([]string(nil), env...), hsupBin), args...)...)
}

// hsupEntrant measures hsup itself and scrapes its /metrics.
func hsupEntrant(b hsupBuild, s *supProc) *entrant {
	e := &entrant{row: MemoryRow{Name: b.Name, Settings: b.settings()}, sup: s,
		pid: func() (int, error) { return s.cmd.Process.Pid, nil }}
	e.query = gcQuery(e, s.metric, "hsup_child_state")
	return e
}

// gcQuery is one scrape of url, which must hold want, counting e's GC
// cycles from its go_gc_duration_seconds_count.
func gcQuery(e *entrant, url, want string) func(context.Context) error {
	return func(ctx context.Context) error {
		body, err := expect(ctx, http.MethodGet, url, "", want)
		if err != nil {
			return err
		}
		n, err := gaugeValue(string(body), "go_gc_duration_seconds_count")
		if err != nil {
			return err
		}
		e.gc.add(n, time.Now())
		return nil
	}
}

// lifelineEntrant measures the lifeline of s's child: hsup re-executed,
// sharing the pages of hsup's binary that both touch (each has half of
// them in its Pss).
func lifelineEntrant(s *supProc) *entrant {
	name := "hsup's lifeline (release build)"
	return &entrant{row: MemoryRow{Name: name, Settings: "hsup lifeline (beside every child)"},
		pid: func() (int, error) { return lifelineOf(s.cmd.Process.Pid) }}
}

// lifelineOf finds the child of hsup (pid) running `hsup lifeline`.
func lifelineOf(pid int) (int, error) {
	procs, err := procfs.AllProcs()
	if err != nil {
		return 0, fmt.Errorf("list processes: %w", err)
	}
	for _, p := range procs {
		st, err := p.Stat()
		if err != nil || st.PPID != pid {
			continue
		}
		if argv, err := p.CmdLine(); err == nil && len(argv) > 1 && argv[1] == "lifeline" {
			return p.PID, nil
		}
	}
	return 0, fmt.Errorf("no lifeline below hsup (pid %d)", pid)
}

// peerEntrant launches p over the demo app (from child) with, where the
// peer has one, its status server on a free port of 127.0.0.1.
func peerEntrant(p peer, child, tmp string) (*entrant, *supProc, error) {
	e := &entrant{row: MemoryRow{Name: p.name}}
	if _, err := exec.LookPath(p.bin); err != nil {
		e.row.Skipped = p.missing()
		return e, nil, nil
	}
	s, port, err := newSup(tmp, p.name)
	if err != nil {
		return nil, nil, err
	}
	e.sup, e.pid = s, func() (int, error) { return s.cmd.Process.Pid, nil }
	argv := childArgv(child, s.dir, port)
	sport, err := freePort()
	if err != nil {
		return nil, s, err
	}
	status := "127.0.0.1:" + strconv.Itoa(sport)
	switch p {
	case peerSupervisord:
		e.row.Settings = "supervisord -n; inet_http_server, XML-RPC supervisor.getAllProcessInfo"
		e.query = func(ctx context.Context) error {
			_, err := expect(ctx, http.MethodPost, "http://"+status+"/RPC2", supervisordRPC, "<methodResponse>")
			return err
		}
		err = startSupervisord(s, argv, status)
	case peerMonit:
		e.row.Settings = "monit -I; set daemon 5 (hsup's default probe interval); httpd, GET /_status?format=xml"
		e.query = func(ctx context.Context) error {
			_, err := expect(ctx, http.MethodGet, "http://"+status+"/_status?format=xml", "", "<monit")
			return err
		}
		err = startMonit(s, port, argv, sport)
	case peerRunit:
		e.row.Settings = "runsv DIR (run: exec demo-app)"
		e.row.Status = "none: runsv answers no queries (sv status reads the file it writes)"
		err = startRunsv(s, argv)
	default:
		err = fmt.Errorf("no memory launcher for peer %q", p.name)
	}
	return e, s, err
}

// supervisordRPC asks supervisord for every program's state.
const supervisordRPC = `<?xml version="1.0"?><methodCall><methodName>supervisor.getAllProcessInfo</methodName><params></params></methodCall>`

func startSupervisord(s *supProc, argv []string, status string) error {
	conf := supervisordConf(s.dir, argv) + "\n[inet_http_server]\nport=" + status + "\n\n" +
		"[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
	path := filepath.Join(s.dir, "supervisord.conf")
	if err := writeFile(path, conf, 0o644); err != nil {
		return err
	}
	bin, _ := exec.LookPath(peerSupervisord.bin)
	return s.start(bin, "-n", "-c", path)
}

// startMonit runs monit checking the child every 5 s, as often as hsup
// probes at its defaults (the wedge part tightens both to 1 s), with its
// HTTP status server.
func startMonit(s *supProc, port int, argv []string, sport int) error {
	if !plainWords(append([]string{s.dir}, argv...)...) {
		return fmt.Errorf("monit: %s or %s holds blanks or shell characters; set TMPDIR to a plain path", s.dir, argv[0])
	}
	conf := strings.Replace(monitConf(s.dir, port, argv), "set daemon 1\n", "set daemon 5\n", 1) +
		fmt.Sprintf("set httpd port %d and\n  use address 127.0.0.1\n  allow 127.0.0.1\n", sport)
	path := filepath.Join(s.dir, "monitrc")
	if err := writeFile(path, conf, 0o600); err != nil { // monit insists on 0600
		return err
	}
	bin, _ := exec.LookPath(peerMonit.bin)
	return s.start(bin, "-I", "-c", path)
}

func startRunsv(s *supProc, argv []string) error {
	svc := filepath.Join(s.dir, "svc")
	if err := writeFile(filepath.Join(svc, "run"), runScript(argv), 0o755); err != nil {
		return err
	}
	bin, _ := exec.LookPath(peerRunit.bin)
	return s.start(bin, svc)
}

// expect sends one request on a fresh connection (5 s bound) and wants a
// 200 whose body holds want; it returns the body (1 MiB at most).
func expect(ctx context.Context, method, url, body, want string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "text/xml")
	}
	resp, err := fresh(5 * time.Second).Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(http.MaxBytesReader(nil, resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b.Bytes(), []byte(want)) {
		return nil, fmt.Errorf("%s %s: status %d, body without %q", method, url, resp.StatusCode, want)
	}
	return b.Bytes(), nil
}
