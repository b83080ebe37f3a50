package statuspage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDecodeSummary(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr error // nil: decoded; errAny: some error
		check   func(Summary) bool
	}{
		{name: "full", body: `{"reason":"health","pid":42,"captured_at":"2026-03-01T12:00:00.000Z","open_fds":310,"nofile_soft":4096,"threads":7,"top_files":[{"path":"/s/state.db","count":300}],"health":{"x":1}}`,
			check: func(s Summary) bool {
				return s.Reason == "health" && s.PID == 42 && *s.OpenFDs == 310 && *s.NofileSoft == 4096 && *s.Threads == 7 &&
					len(s.TopFiles) == 1 && s.TopFiles[0] == FileCount{Path: "/s/state.db", Count: 300}
			}},
		{name: "nulls stay absent", body: `{"reason":"exit","open_fds":null,"nofile_soft":null,"top_files":null}`,
			check: func(s Summary) bool { return s.OpenFDs == nil && s.NofileSoft == nil && s.TopFiles == nil }},
		{name: "not JSON", body: `{"reason":`, wantErr: errAny},
		{name: "too large", body: `{"reason":"` + strings.Repeat("x", MaxSummary) + `"}`, wantErr: errTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := decodeSummary(strings.NewReader(tt.body))
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("decodeSummary: %v", err)
			case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Fatalf("decodeSummary error %v, want %v", err, tt.wantErr)
			case tt.check != nil && !tt.check(s):
				t.Errorf("decoded %+v", s)
			}
		})
	}
}

var errAny = errors.New("any error")

func writeSummary(t testing.TB, dir, body string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSummariesReadOncePerBundle: a bundle's summary is read once (a
// bundle does not change), a new bundle is read anew, a missing summary
// is an error that names the file.
func TestSummariesReadOncePerBundle(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	writeSummary(t, a, `{"reason":"health"}`)
	writeSummary(t, b, `{"reason":"deep"}`)
	var c summaries
	for i, want := range []struct{ dir, reason string }{{a, "health"}, {a, "health"}, {b, "deep"}} {
		s, err := c.get(want.dir, 5*time.Second)
		if err != nil || s.Reason != want.reason {
			t.Fatalf("get %d (%s) = %+v, %v; want reason %s", i, want.dir, s, err, want.reason)
		}
		if i == 0 {
			writeSummary(t, a, `{"reason":"changed"}`) // not read again
		}
	}
	if _, err := c.get(filepath.Join(root, "gone"), 5*time.Second); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing summary: %v, want ErrNotExist", err)
	}
}
