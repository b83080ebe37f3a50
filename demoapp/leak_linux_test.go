package demoapp

import (
	"os"
	"path/filepath"
	"testing"
)

// openHandles counts this process's descriptors that point at path.
func openHandles(t *testing.T, path string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("list /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}

func TestLeakOpensHandles(t *testing.T) {
	t.Parallel()
	a := startApp(t, Config{})
	db := filepath.Join(a.dir, "state.db")
	before := openHandles(t, db)
	if ans := a.flip(t, "leak?n=40"); ans.LeakedFDs == nil || *ans.LeakedFDs != 40 {
		t.Fatalf("answer %+v, want 40 leaked", ans)
	}
	if after := openHandles(t, db); after != before+40 {
		t.Errorf("handles on state.db: %d before, %d after; want +40", before, after)
	}
	a.flip(t, "leak") // the default, 300
	if after := openHandles(t, db); after != before+340 {
		t.Errorf("handles on state.db after the default leak: %d, want %d", after, before+340)
	}
	a.cancel()
	if err := a.result(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if after := openHandles(t, db); after != before {
		t.Errorf("handles on state.db after Run returned: %d, want %d", after, before)
	}
}
