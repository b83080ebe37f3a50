package diagnose

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/hsup/hsup/fdlimit"
)

// TestSummaryNofile: nofile_soft and nofile_source come from the limits
// collector when it read the child's limit (Linux), else from the limit
// hsup knows the child started with (Config.Nofile; macOS has no limits
// collector), else both are empty.
func TestSummaryNofile(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		results    map[string]Result
		childLimit uint64 // what the limits collector read; 0 = nothing
		want       *uint64
		wantSource fdlimit.Source
	}{
		{name: "no limits collector (macOS), --nofile=0", cfg: Config{Nofile: 256, NofileSource: fdlimit.SourceInherited},
			results: map[string]Result{}, want: ptr(uint64(256)), wantSource: fdlimit.SourceInherited},
		{name: "no limits collector (macOS), --nofile", cfg: Config{Nofile: 4096, NofileSource: fdlimit.SourceSet},
			results: map[string]Result{"lsof": {}}, want: ptr(uint64(4096)), wantSource: fdlimit.SourceSet},
		{name: "the child's own (Linux)", cfg: Config{Nofile: 4096, NofileSource: fdlimit.SourceSet},
			results: map[string]Result{"limits": {OK: true}}, childLimit: 1024, want: ptr(uint64(1024)), wantSource: fdlimit.SourceChild},
		{name: "limits collector failed", cfg: Config{Nofile: 4096, NofileSource: fdlimit.SourceSet},
			results: map[string]Result{"limits": {Error: "permission denied"}}, want: ptr(uint64(4096)), wantSource: fdlimit.SourceSet},
		{name: "nothing known", results: map[string]Result{}, want: nil, wantSource: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &run{cfg: &tt.cfg, pid: 42, nofile: tt.childLimit, hasLimit: tt.childLimit > 0}
			raw := r.summary(time.Now(), PressureReason, time.Time{}, []byte("null"), tt.results)
			var s Summary
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("summary.json: %v\n%s", err, raw)
			}
			if (s.NofileSoft == nil) != (tt.want == nil) || s.NofileSoft != nil && *s.NofileSoft != *tt.want || s.NofileSource != tt.wantSource {
				t.Fatalf("nofile_soft %v nofile_source %q, want %v %q\n%s", deref(s.NofileSoft), s.NofileSource, deref(tt.want), tt.wantSource, raw)
			}
			if !bytes.Contains(raw, []byte(`"nofile_source":`)) {
				t.Fatalf("summary.json has no nofile_source key:\n%s", raw)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// deref shows a *uint64 for a failure message: its value, or "null".
func deref(p *uint64) any {
	if p == nil {
		return "null"
	}
	return *p
}
