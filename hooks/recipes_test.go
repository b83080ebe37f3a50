//go:build unix

package hooks

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// The recipes of docs/supervisor.md ("Event hooks"), run as hsup runs
// them, against a local HTTP server and fake mail and osascript programs.

// recipe runs the recipe script name once for e with extra environment,
// and returns the result and the log.
func recipe(t *testing.T, name string, e Event, env ...string) (string, *observer.ObservedLogs) {
	t.Helper()
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the recipes need %s: install it (.ci/run does)", tool)
		}
	}
	path, err := filepath.Abs(filepath.Join("testdata", "recipes", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o755); err != nil { // a checkout may have lost the mode
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	results := make(chan string, 1)
	env = append([]string{"no_proxy=127.0.0.1", "NO_PROXY=127.0.0.1"}, env...) // curl to the test's server directly
	r := New(Options{Programs: []string{path}, Env: Environ(append(os.Environ(), env...)), Log: zap.New(core),
		Counted: func(_, res string) { results <- res }})
	r.Enqueue(e)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Run drains what is queued, then returns
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-results:
		return res, logs
	default:
		t.Fatal("the recipe did not run")
	}
	return "", nil
}

var degraded = Event{Event: Degraded, Name: "web", Reason: "deep", Sentence: "deep check state_db failed: OperationalError",
	Pid: 4242, Bundle: "/var/log/hsup/web/20250102T030405Z-pid4242-deep", Restarts: 2, Time: t0}

type request struct {
	method, path, body string
	header             http.Header
}

// server records the requests it gets and answers status.
func server(t *testing.T, status int) (*httptest.Server, chan request) {
	got := make(chan request, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		got <- request{r.Method, r.URL.Path, string(b), r.Header.Clone()}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func received(t *testing.T, got chan request) request {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(time.Second): // the hook already ran: the request is there or never came
		t.Fatal("the server got no request")
	}
	return request{}
}

func TestRecipeNtfy(t *testing.T) {
	srv, got := server(t, http.StatusOK)
	if res, logs := recipe(t, "ntfy", degraded, "NTFY_URL="+srv.URL+"/hsup-alerts"); res != ResultOK {
		t.Fatalf("result %s; log %v", res, logs.All())
	}
	r := received(t, got)
	want := request{method: "POST", path: "/hsup-alerts", body: degraded.Sentence + "\nbundle: " + degraded.Bundle + "\n"}
	if r.method != want.method || r.path != want.path || r.body != want.body {
		t.Errorf("request %s %s %q, want %s %s %q", r.method, r.path, r.body, want.method, want.path, want.body)
	}
	for k, v := range map[string]string{"Title": "hsup web: degraded (deep)", "Priority": "high", "Tags": "hsup,degraded"} {
		if r.header.Get(k) != v {
			t.Errorf("header %s: %q, want %q", k, r.header.Get(k), v)
		}
	}
}

func TestRecipeWebhook(t *testing.T) {
	srv, got := server(t, http.StatusNoContent)
	if res, logs := recipe(t, "webhook", degraded, "WEBHOOK_URL="+srv.URL+"/hsup"); res != ResultOK {
		t.Fatalf("result %s; log %v", res, logs.All())
	}
	r := received(t, got)
	if r.method != "POST" || r.path != "/hsup" || r.body != string(degraded.Payload()) ||
		r.header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s %q (%s), want the event's JSON", r.method, r.path, r.body, r.header.Get("Content-Type"))
	}
}

// A webhook that refuses is a failed run whose log line says why.
func TestRecipeWebhookRefused(t *testing.T) {
	srv, _ := server(t, http.StatusInternalServerError)
	res, logs := recipe(t, "webhook", degraded, "WEBHOOK_URL="+srv.URL+"/hsup")
	if res != ResultFailed {
		t.Fatalf("result %s, want failed", res)
	}
	l := logs.FilterMessageSnippet("hook failed").All()
	if len(l) != 1 || !strings.Contains(l[0].ContextMap()["output"].(string), "500") {
		t.Errorf("want one line with curl's complaint, got %v", logs.All())
	}
}

// fakeTool writes an executable name into dir that runs script (sh).
func fakeTool(t *testing.T, dir, name, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestRecipeMail(t *testing.T) {
	bin, out := t.TempDir(), t.TempDir()
	fakeTool(t, bin, "mail", `printf '%s\n' "$@" > "$OUT/argv"; cat > "$OUT/body"`)
	gaveUp := Event{Event: GaveUp, Name: "web", Reason: "exit", Sentence: "gave up", Restarts: 3, Code: code(3), Time: t0}
	res, logs := recipe(t, "mail", gaveUp, "MAIL_TO=ops@example.com", "OUT="+out, "PATH="+bin+":"+os.Getenv("PATH"))
	if res != ResultOK {
		t.Fatalf("result %s; log %v", res, logs.All())
	}
	argv, _ := os.ReadFile(filepath.Join(out, "argv"))
	body, _ := os.ReadFile(filepath.Join(out, "body"))
	if want := "-s\nhsup web: gave_up\nops@example.com\n"; string(argv) != want {
		t.Errorf("mail's arguments %q, want %q", argv, want)
	}
	if want := "hsup web: gave_up (exit)\n\n" + string(gaveUp.Payload()); string(body) != want {
		t.Errorf("mail's body %q, want %q", body, want)
	}
}

func TestRecipeMailWithoutAddress(t *testing.T) {
	res, logs := recipe(t, "mail", degraded)
	if res != ResultFailed {
		t.Fatalf("result %s, want failed", res)
	}
	if l := logs.FilterMessageSnippet("hook failed").All(); len(l) != 1 || !strings.Contains(l[0].ContextMap()["output"].(string), "set MAIL_TO") {
		t.Errorf("want the line to say MAIL_TO is not set, got %v", logs.All())
	}
}

// osascript and plutil exist only on macOS: fakes check what the recipe
// passes them (the title, the message with its bundle), not that macOS
// shows it.
func TestRecipeMacOSNotifyArguments(t *testing.T) {
	bin, out := t.TempDir(), t.TempDir()
	fakeTool(t, bin, "osascript", `printf '%s\n' "$@" > "$OUT/argv"`)
	fakeTool(t, bin, "plutil", `[ "$*" = "-extract sentence raw -o - -" ] && exec jq -r .sentence`)
	res, logs := recipe(t, "macos-notify", degraded, "OUT="+out, "PATH="+bin+":"+os.Getenv("PATH"))
	if res != ResultOK {
		t.Fatalf("result %s; log %v", res, logs.All())
	}
	argv, _ := os.ReadFile(filepath.Join(out, "argv"))
	want := "-e\non run argv\n-e\ndisplay notification (item 2 of argv) with title (item 1 of argv)\n-e\nend run\n" +
		"hsup web: degraded\n" + degraded.Sentence + " (bundle: " + degraded.Bundle + ")\n"
	if string(argv) != want {
		t.Errorf("osascript's arguments\n%s\nwant\n%s", argv, want)
	}
}
