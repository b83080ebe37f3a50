package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// gate is a destination whose writes block until the test opens it, and
// that keeps what it was given.
type gate struct {
	mu     sync.Mutex
	open   chan struct{}
	got    bytes.Buffer
	writes int
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) Write(p []byte) (int, error) {
	<-g.open
	g.mu.Lock()
	defer g.mu.Unlock()
	g.writes++
	return g.got.Write(p)
}

func (g *gate) String() string { g.mu.Lock(); defer g.mu.Unlock(); return g.got.String() }

func TestWriterDropsWholeWritesWhenFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		w := New(g, Options{Size: 10, Notice: func(n int64) []byte { return fmt.Appendf(nil, "[dropped %d]\n", n) }})
		w.Write([]byte("aaaa\n")) // taken by the drain, which blocks in g
		synctest.Wait()
		w.Write([]byte("bbbb\n"))
		w.Write([]byte("cccc\n"))
		w.Write([]byte("dd\n")) // 13 bytes pending would not fit: dropped whole
		w.Write([]byte("eeeeeeeeeeee\n"))
		if got := w.Dropped(); got != 3+13 {
			t.Errorf("Dropped = %d, want 16", got)
		}
		close(g.open)
		synctest.Wait()
		w.Write([]byte("ffff\n"))
		if err := w.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		want := "aaaa\nbbbb\ncccc\n[dropped 16]\nffff\n"
		if got := g.String(); got != want {
			t.Errorf("destination got %q, want %q", got, want)
		}
	})
}

func TestWriterWriteNeverWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		w := New(g, Options{Size: 4, Stall: time.Hour})
		w.Write([]byte("xyz")) // taken by the drain, which blocks in g
		synctest.Wait()
		start := time.Now()
		for range 99 {
			w.Write([]byte("xyz"))
		}
		if took := time.Since(start); took != 0 {
			t.Errorf("100 writes to a blocked destination took %v of the bubble's clock, want 0", took)
		}
		if got := w.Dropped(); got != 98*3 {
			t.Errorf("Dropped = %d, want %d", got, 98*3)
		}
		close(g.open)
		if err := w.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// A Paced write waits for room while the destination takes bytes, so a
// slow reader loses nothing; once a write has not returned within Stall,
// it drops at once.
func TestWriterPaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		w := New(g, Options{Size: 4, Stall: 250 * time.Millisecond})
		p := w.Paced()
		p.Write([]byte("1111")) // in flight, blocked
		synctest.Wait()
		p.Write([]byte("2222")) // pending: full
		go func() {
			time.Sleep(100 * time.Millisecond)
			close(g.open) // the reader moves again before the stall bound
		}()
		start := time.Now()
		p.Write([]byte("3333"))
		if took := time.Since(start); took != 100*time.Millisecond {
			t.Errorf("paced write waited %v, want the 100ms until the destination moved", took)
		}
		if err := w.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got, want := g.String(), "111122223333"; got != want || w.Dropped() != 0 {
			t.Errorf("destination got %q (dropped %d), want %q and nothing dropped", got, w.Dropped(), want)
		}

		g2 := newGate()
		w2 := New(g2, Options{Size: 4, Stall: 250 * time.Millisecond})
		p2 := w2.Paced()
		p2.Write([]byte("1111"))
		synctest.Wait()
		p2.Write([]byte("2222"))
		start = time.Now()
		p2.Write([]byte("3333")) // waits out the stall bound, then drops
		p2.Write([]byte("4444")) // stalled already: drops at once
		if took := time.Since(start); took != 250*time.Millisecond {
			t.Errorf("paced writes to a stalled destination took %v, want the 250ms stall bound", took)
		}
		if w2.Dropped() != 8 {
			t.Errorf("Dropped = %d, want 8", w2.Dropped())
		}
		close(g2.open)
		if err := w2.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

type failing struct{ err error }

func (f failing) Write(p []byte) (int, error) { return 0, f.err }

func TestWriterCountsFailedWrites(t *testing.T) {
	w := New(failing{syscall.EPIPE}, Options{})
	for range 3 {
		if n, err := w.Write([]byte("line\n")); n != 5 || err != nil {
			t.Fatalf("Write = %d, %v; want 5, nil", n, err)
		}
		if err := w.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.Dropped(); got != 15 {
		t.Errorf("Dropped = %d, want 15", got)
	}
}

func TestWriterCloseFlushesThenDrops(t *testing.T) {
	var b bytes.Buffer
	w := New(&b, Options{})
	w.Write([]byte("one\n"))
	w.Paced().Write([]byte("two\n"))
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("late\n"))
	if b.String() != "one\ntwo\n" || w.Dropped() != 5 {
		t.Errorf("got %q, dropped %d; want one, two and the late write dropped (5)", b.String(), w.Dropped())
	}
}

// Close of a Writer to a real pipe nobody reads returns within its bound,
// and the drain goroutine ends (the package's TestMain checks that no
// goroutine is left): the pipe's write deadline unblocks it.
func TestWriterCloseStalledPipe(t *testing.T) {
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	w := New(pw, Options{})
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for range 20 { // more than the pipe (64 KiB) and the buffer (256 KiB) take
		w.Write(chunk)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = w.Close(ctx)
	took := time.Since(start)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want an error wrapping the deadline", err)
	}
	if took > time.Second {
		t.Errorf("Close took %v, want about its 200ms bound", took)
	}
	if w.Dropped() == 0 {
		t.Error("nothing counted as dropped")
	}
	t.Logf("Close took %v; %d of %d bytes dropped", took.Round(time.Millisecond), w.Dropped(), 20*len(chunk))
}

// The notice starts on a line of its own.
func TestWriterNoticeAfterOpenLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate()
		w := New(g, Options{Size: 8, Notice: TextNotice("stdout")})
		w.Write([]byte("half"))
		synctest.Wait()
		w.Write([]byte("12345678"))
		w.Write([]byte("lost"))
		close(g.open)
		synctest.Wait()
		w.Write([]byte("next\n"))
		if err := w.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		want := "half12345678\nhsup: dropped 4 bytes of stdout here: its reader did not keep up\nnext\n"
		if got := g.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func ExampleWriter() {
	w := New(os.Stdout, Options{Notice: TextNotice("stdout")})
	fmt.Fprintln(w, "never waits on the reader")
	fmt.Fprintln(w.Paced(), "waits while the reader keeps up")
	_ = w.Flush(context.Background())
	fmt.Println(strings.Repeat("-", 3), w.Dropped(), "bytes dropped")
	// Output:
	// never waits on the reader
	// waits while the reader keeps up
	// --- 0 bytes dropped
}
