package main

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/hsup/hsup/diagnose"
)

// maxWrite records the largest write it was given.
type maxWrite struct {
	bytes.Buffer
	largest int
}

func (w *maxWrite) Write(p []byte) (int, error) {
	w.largest = max(w.largest, len(p))
	return w.Buffer.Write(p)
}

// os/exec copies the child's pipe with io.Copy(teeWriter, *os.File). With
// 60 KiB waiting in the pipe, io.Copy's own buffer would read 32 KiB at
// once; through ReadFrom no read is larger than outputReadSize.
func TestChildOutputIsReadThroughASmallBuffer(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := bytes.Repeat([]byte("0123456789abcde\n"), 60<<10/16)
	if _, err := w.Write(want); err != nil { // fits the pipe's 64 KiB: no reader needed
		t.Fatal(err)
	}
	w.Close()
	out, tail := &maxWrite{}, diagnose.NewTail(1<<20)
	n, err := io.Copy(teeWriter{out, tail}, r)
	if err != nil || n != int64(len(want)) {
		t.Fatalf("io.Copy = %d, %v; want %d, nil", n, err, len(want))
	}
	if !bytes.Equal(out.Bytes(), want) || !bytes.Equal(tail.Bytes(), want) {
		t.Fatalf("output or tail differs from what the child wrote (%d and %d bytes of %d)", out.Len(), len(tail.Bytes()), len(want))
	}
	if out.largest > outputReadSize {
		t.Fatalf("largest write %d bytes: the copy did not go through teeWriter.ReadFrom's %d-byte buffer", out.largest, outputReadSize)
	}
}
