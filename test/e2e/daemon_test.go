package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hsup/hsup/test/hsuptest"
)

// TestDaemonizingChildIsNamed: a bootstrap that starts the server detached,
// waits for /health and exits 0 (the WebUI's old bootstrap.py) is called
// out in one error line, and the restart policy still applies.
func TestDaemonizingChildIsNamed(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + strconv.Itoa(hsuptest.FreePort(t))
	url := "http://" + addr + "/health"
	script := filepath.Join(t.TempDir(), "bootstrap.sh")
	body := "#!/bin/sh\n" +
		"setsid " + hsuptest.Binary(t) + " demo-app --addr " + addr + " --state-dir " + t.TempDir() +
		" >/dev/null 2>&1 </dev/null &\n" +
		"i=0\nwhile [ $i -lt 200 ]; do\n" +
		"  " + hsuptest.Binary(t) + " check --timeout 200ms " + url + " >/dev/null && exit 0\n" +
		"  i=$((i+1))\ndone\nexit 0\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopDetached(t, url) })

	args := runArgs(t, "--health-url="+url, "--restart=never", "--", script)
	p := hsuptest.Start(t, args)
	if code := p.Wait(t, exitWait); code != 0 {
		t.Fatalf("hsup exited %d, want the bootstrap's 0 (--restart=never)", code)
	}
	var named int
	for _, l := range p.Lines() {
		if l.Str("level") == "error" && strings.Contains(l.Msg(), "daemonized") && strings.Contains(l.Msg(), "foreground") {
			named++
		}
	}
	if named != 1 {
		t.Fatalf("%d error lines naming the double-fork, want 1; log:\n%v", named, p.Lines())
	}
}

// stopDetached stops the server the bootstrap detached (a grandchild this
// test started through hsup), found by the pid its /health reports.
func stopDetached(t *testing.T, url string) {
	code, body := hsuptest.Get(t, url)
	if code == 0 {
		return
	}
	var h struct{ PID int }
	if err := json.Unmarshal([]byte(body), &h); err != nil || h.PID <= 1 {
		t.Errorf("cannot find the detached server's pid in %q", body)
		return
	}
	_ = syscall.Kill(h.PID, syscall.SIGTERM)
}
