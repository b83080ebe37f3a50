package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hsup/hsup/test/hsuptest"
)

// browserWait bounds one headless Chromium run.
const browserWait = 60 * time.Second

// TestStatusPageInChromium: the demo leaks 300 descriptors, then wedges;
// after the restart a real headless Chromium loads the status page on the
// metrics address, takes a screenshot, and its DOM shows the restart with
// its reason and sentence, the charts, and the bundle that names the
// leaked file. The page's cost (time and bytes) is measured and logged.
func TestStatusPageInChromium(t *testing.T) {
	t.Parallel()
	bin := chromiumPath(t)
	d := startDemo(t, nil)
	d.flip(t, "leak?n=300")
	_, bi, si := d.wedge(t)
	lines := d.p.Lines()
	bundle := lines[bi].Str("dir")
	degraded, _ := d.p.WaitLine(t, 0, time.Second, "the verdict's log line", msg("child is degraded"))
	d.p.WaitLine(t, si, startWait, "replacement running", hsuptest.State("running"))
	page := d.metrics + "/"
	measurePage(t, page)

	home := t.TempDir()
	shotDir := t.TempDir()
	if dir := os.Getenv("HSUP_TEST_ARTIFACTS"); dir != "" { // keep the screenshot after the test
		shotDir = dir
	}
	shot := filepath.Join(shotDir, "status.png")
	runChromium(t, bin, home, "--screenshot="+shot, "--window-size=1200,1600", "--hide-scrollbars", page)
	t.Logf("status page screenshot: %s", shot)
	checkScreenshot(t, shot, 1200, 1600)

	dom := string(runChromium(t, bin, home, "--dump-dom", page))
	checkPageDOM(t, dom, degraded.Str("detail"), bundle, d.stateDB(t))
}

// checkPageDOM asserts on the page as the browser built it.
func checkPageDOM(t *testing.T, dom, sentence, bundle, stateDB string) {
	t.Helper()
	timeline := html.UnescapeString(domElement(dom, "section", "timeline"))
	want := []struct{ where, in, pattern string }{
		{"the timeline", timeline, `<li class="event restart">.*?<span class="kind">restart</span> <span class="reason">health</span>`},
		{"the timeline", timeline, `<li class="event degraded">.*?<span class="reason">health</span> <span class="detail">` + regexp.QuoteMeta(sentence) + `</span>`},
		{"the timeline", timeline, `<li class="event bundle">.*?` + regexp.QuoteMeta(bundle)},
		{"the timeline", timeline, `<span id="restarts-24h">1</span>`},
		{"the restart chart", domElement(dom, "svg", "restarts-chart"), `<rect class="bar" [^>]*><title>[^<]*1 restart\(s\): health</title>`},
		{"the FD chart", domElement(dom, "svg", "fds-chart"), `<path class="fds" d="M[0-9.,]+`},
		{"the FD chart", domElement(dom, "svg", "fds-chart"), `<line class="restart-mark"`},
		{"the latency chart", domElement(dom, "svg", "latency-chart"), `<path class="probe-cheap" d="M[0-9.,]+`},
		{"the status table", domElement(dom, "tr", "row-last-restart"), `<span class="value">health</span>`},
		{"the status table", domElement(dom, "tr", "row-state"), `<span class="value">running</span>`},
		{"the bundle", domElement(dom, "section", "bundle"), `<code id="bundle-path">` + regexp.QuoteMeta(bundle) + `</code>`},
	}
	for _, w := range want {
		if !regexp.MustCompile(`(?s)` + w.pattern).MatchString(w.in) {
			t.Errorf("%s does not match %s:\n%s", w.where, w.pattern, w.in)
		}
	}
	if cause := summaryCause(t, bundle); cause != "" {
		if got := html.UnescapeString(domElement(dom, "td", "bundle-cause")); !strings.Contains(got, ">"+cause+"<") {
			t.Errorf("the bundle's cause %q is not on the page: %s", cause, got)
		}
	}
	top := regexp.MustCompile(`<td>(\d+)</td><td><code>` + regexp.QuoteMeta(stateDB) + `</code></td>`).FindStringSubmatch(dom)
	if top == nil {
		t.Errorf("the bundle's top files do not list %s:\n%s", stateDB, domElement(dom, "section", "bundle"))
	} else if n, _ := strconv.Atoi(top[1]); n < 300 {
		t.Errorf("the bundle's top files count %d of %s, want >= 300", n, stateDB)
	}
}

// summaryCause is summary.json's one-sentence cause, "" when it has none.
func summaryCause(t *testing.T, bundle string) string {
	t.Helper()
	var s struct {
		Cause string `json:"cause"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(bundle, "summary.json"))), &s); err != nil {
		t.Fatalf("summary.json of %s: %v", bundle, err)
	}
	return s.Cause
}

// domElement is the markup of the first <tag id="id"> to its closing tag
// (the page does not nest these), "" when absent.
func domElement(dom, tag, id string) string {
	return regexp.MustCompile(`(?s)<` + tag + ` id="` + regexp.QuoteMeta(id) + `".*?</` + tag + `>`).FindString(dom)
}

// chromiumPath is Debian's chromium (HSUP_CHROMIUM overrides): the test
// fails without it, since CI installs it (.ci/run).
func chromiumPath(t *testing.T) string {
	t.Helper()
	name := "chromium"
	if p := os.Getenv("HSUP_CHROMIUM"); p != "" {
		name = p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("the status page test needs a real headless browser: %v; install Debian's chromium "+
			"(apt-get install chromium; .ci/run does) or point HSUP_CHROMIUM at one", err)
	}
	return p
}

// runChromium runs headless Chromium with args, quiet, with its profile
// and HOME under home, bounded by browserWait. It runs in its own process
// group, killed on timeout and after it exits (a helper it left behind).
// It returns stdout (at most 8 MiB) and fails the test with the tail of
// stderr when the browser fails.
func runChromium(t *testing.T, bin, home string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), browserWait)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + filepath.Join(home, "profile"),
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
		"--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage",
		"--mute-audio", "--log-level=3"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	stdout, stderr := &capped{max: 8 << 20}, &capped{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what is left of its group
	}
	switch {
	case ctx.Err() != nil:
		t.Fatalf("chromium %v did not finish within %v; stderr:\n%s", args, browserWait, stderr.buf.Bytes())
	case err != nil:
		t.Fatalf("chromium %v: %v; stderr:\n%s", args, err, stderr.buf.Bytes())
	}
	t.Logf("chromium %s took %v", args[0], time.Since(start).Round(time.Millisecond))
	return stdout.buf.Bytes()
}

// capped keeps the first max bytes written and drops the rest.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// checkScreenshot wants a PNG of the window's size that shows something:
// many colours, not a blank or error page.
func checkScreenshot(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
	colours := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(colours) < 64; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, bl, a}] = true
		}
	}
	if len(colours) < 64 {
		t.Errorf("screenshot %s has %d colours: a blank page?", path, len(colours))
	}
}

// measurePage GETs the page 20 times on fresh connections and logs the
// response time (min, median, max) and its size.
func measurePage(t *testing.T, url string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer c.CloseIdleConnections()
	var took []time.Duration
	size := 0
	for range 20 {
		start := time.Now()
		n, err := getPage(c, url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		took, size = append(took, time.Since(start)), n
	}
	slices.Sort(took)
	t.Logf("status page cost (hsup built with -race): %d bytes; response time over 20 GETs min %v, median %v, max %v",
		size, took[0].Round(time.Microsecond), took[10].Round(time.Microsecond), took[19].Round(time.Microsecond))
}

func getPage(c *http.Client, url string) (int, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<20))
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	if err == nil && resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		err = errors.New("Content-Type " + resp.Header.Get("Content-Type"))
	}
	return int(n), err
}
