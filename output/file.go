package output

import (
	"context"
	"fmt"
)

// File defaults: the size at which a file is rotated (MiB), and how many
// rotated files are kept beside the current one.
const (
	DefaultFileMaxMiB = 10
	DefaultFileKeep   = 5
)

// File is a Writer to a size-rotated file (hsup's --output-file and
// --log-file). Past MaxMiB the file is renamed to NAME.1 (NAME.1 to
// NAME.2, and so on; Keep rotated files are kept) and a new NAME is
// created: never copy-truncate, so no line is lost between the copy and
// the truncation, and a reader that holds the old file reads it to its
// end. Only regular files are ever written, renamed or removed: a path
// that names a device (/dev/null), a directory, a FIFO or a symlink is
// refused. A file renamed or removed by someone else is replaced by a new
// one within a second. Writes go through the Writer: a file on a hung or
// full volume costs dropped, counted bytes, never a blocked writer.
type File struct {
	*Writer
	file *rotator
}

// FileOptions configure NewFile; zero fields take the defaults.
type FileOptions struct {
	MaxMiB int                  // rotate past this size (default DefaultFileMaxMiB)
	Keep   int                  // rotated files kept (default DefaultFileKeep)
	Notice func(n int64) []byte // see Options.Notice
}

// NewFile returns a File at path; nothing is opened until Open or the
// first write.
func NewFile(path string, opts FileOptions) *File {
	if opts.MaxMiB <= 0 {
		opts.MaxMiB = DefaultFileMaxMiB
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultFileKeep
	}
	r := &rotator{path: path, max: int64(opts.MaxMiB) << 20, keep: opts.Keep}
	return &File{Writer: New(r, Options{Notice: opts.Notice}), file: r}
}

// Open opens the file now (creating its directory, mode 0755, and the
// file, mode 0600), so that a path that cannot be written is an error at
// start-up rather than bytes dropped later. It runs before any write, not
// through the Writer: the caller bounds it in time.
func (f *File) Open() error {
	if err := f.file.open(); err != nil {
		return fmt.Errorf("open %s: %w", f.file.path, err)
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
