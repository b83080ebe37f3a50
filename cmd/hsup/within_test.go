package main

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hsup/hsup/output"
)

func TestWithinGivesUpOnAStuckStep(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	start := time.Now()
	err := within(50*time.Millisecond, "checking a hung volume", func() error { <-release; return nil })
	if !errors.Is(err, errOverran) || !strings.Contains(err.Error(), "hung volume") || time.Since(start) > 2*time.Second {
		t.Fatalf("within = %v after %v, want a timeout naming the step", err, time.Since(start))
	}
	want := errors.New("refused")
	if err := within(time.Second, "a quick step", func() error { return want }); !errors.Is(err, want) {
		t.Fatalf("within = %v, want the step's own error", err)
	}
}

func TestWaitWithin(t *testing.T) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	wg.Go(func() { <-release })
	if waitWithin(&wg, 20*time.Millisecond) {
		t.Fatal("waitWithin reported a stuck goroutine as ended")
	}
	close(release)
	if !waitWithin(&wg, 5*time.Second) {
		t.Fatal("waitWithin did not see the goroutine end")
	}
}

// An output file on a volume that never answers (its open hangs) is a
// warning, not a failure: hsup goes on with the file, whose writes are
// dropped until the volume answers.
func TestOpenFilesOnAHungVolume(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	old := openFile
	openFile = func(*output.File) error { <-release; return nil }
	defer func() { openFile = old; files.output = nil }()
	err := openFiles(fileSettings{output: filepath.Join(t.TempDir(), "out.log"), maxMiB: 1, keep: 1}, 50*time.Millisecond)
	if err != nil || files.output == nil {
		t.Fatalf("openFiles = %v (file %v), want hsup to go on with the file", err, files.output)
	}
}
