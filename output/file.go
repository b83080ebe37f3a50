package output

import (
	"context"
	"fmt"

	"gopkg.in/natefinch/lumberjack.v2"
)

// File defaults: the size at which a file is rotated (MiB), and how many
// rotated files are kept beside the current one.
const (
	DefaultFileMaxMiB = 10
	DefaultFileKeep   = 5
)

// File is a Writer to a size-rotated file (hsup's --output-file and
// --log-file). Past MaxMiB the file is renamed aside, with the time in its
// name (output-2026-05-01T10-00-00.000.log), and a new one is opened under
// the same name: never copy-truncate, so no line is lost between the copy
// and the truncation, and a reader that holds the old file reads it to its
// end. Keep rotated files are kept, the oldest removed. Writes go through
// the Writer: a file on a hung or full volume costs dropped, counted
// bytes, never a blocked writer.
type File struct {
	*Writer
	file *lumberjack.Logger
}

// FileOptions configure OpenFile; zero fields take the defaults.
type FileOptions struct {
	MaxMiB int                  // rotate past this size (default DefaultFileMaxMiB)
	Keep   int                  // rotated files kept (default DefaultFileKeep)
	Notice func(n int64) []byte // see Options.Notice
}

// NewFile returns a File at path; nothing is opened until Open or the first
// write. The rotator (lumberjack) keeps one idle goroutine per file for the
// process's life, which removes old files after a rotation.
func NewFile(path string, opts FileOptions) *File {
	if opts.MaxMiB <= 0 {
		opts.MaxMiB = DefaultFileMaxMiB
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultFileKeep
	}
	lj := &lumberjack.Logger{Filename: path, MaxSize: opts.MaxMiB, MaxBackups: opts.Keep}
	return &File{Writer: New(lj, Options{Notice: opts.Notice}), file: lj}
}

// Open opens the file now (creating its directory, mode 0755, and the file,
// mode 0600), so that a path that cannot be written is an error at start-up
// rather than bytes dropped later. It writes directly, not through the
// Writer: the caller bounds it in time.
func (f *File) Open() error {
	if _, err := f.file.Write(nil); err != nil {
		return fmt.Errorf("open %s: %w", f.file.Filename, err)
	}
	return nil
}

// Close flushes what is waiting (within ctx) and closes the file. When the
// flush did not finish, the drain is still inside a write of the file (a
// hung volume) and holds it: the file is left to the process's exit.
func (f *File) Close(ctx context.Context) error {
	if err := f.Writer.Close(ctx); err != nil {
		return err
	}
	return f.file.Close()
}
