//go:build linux

package proctree

import (
	"fmt"
	"io/fs"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Children lists pid's children. The kernel files a child under the thread
// that forked it, so every thread's list is read. It runs every second
// for the child's tree and hsup's own, so it reads through one reused
// buffer: the directory and file reads of the os package allocate a
// buffer of their own each time, and that was most of what hsup
// allocated at idle.
func Children(pid int) ([]int, error) {
	bp := scratch.Get().(*[]byte)
	defer scratch.Put(bp)
	task := "/proc/" + strconv.Itoa(pid) + "/task/"
	tids, err := dirNames(task, *bp)
	if err != nil {
		return nil, fmt.Errorf("list the threads of pid %d: %w", pid, err)
	}
	var kids []int
	for _, tid := range tids {
		b, err := readInto(task+tid+"/children", bp)
		if err != nil {
			continue // the thread ended meanwhile
		}
		kids = appendInts(kids, b)
	}
	return kids, nil
}

// Reparented lists the children of pid's main thread, which is where
// Linux files the processes it re-parents to pid as a child subreaper or
// as a namespace's init: it hands an orphan to the first live thread of
// the reaper's thread group (find_alive_thread in kernel/exit.c), which
// is the main thread while the process lives. It reads one file where
// Children reads one per thread. The list also has the children the main
// thread forked itself.
func Reparented(pid int) ([]int, error) {
	bp := scratch.Get().(*[]byte)
	defer scratch.Put(bp)
	p := strconv.Itoa(pid)
	b, err := readInto("/proc/"+p+"/task/"+p+"/children", bp)
	if err != nil {
		return nil, fmt.Errorf("list the children of pid %d: %w", pid, err)
	}
	return appendInts(nil, b), nil
}

// scratch holds the read buffers of Children.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// dirNames lists a directory's entries, "." and ".." left out, reading
// through buf.
func dirNames(dir string, buf []byte) ([]string, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	buf = buf[:cap(buf)]
	var names []string
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			return nil, &fs.PathError{Op: "getdents", Path: dir, Err: err}
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}

// readInto reads the whole of a small file into *bp, growing it when it
// is too short, and returns what was read.
func readInto(path string, bp *[]byte) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n <= 0 {
			*bp = b
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

// appendInts appends the decimal numbers of a space-separated list.
func appendInts(out []int, b []byte) []int {
	n, in := 0, false
	for _, c := range b {
		if c >= '0' && c <= '9' {
			n, in = n*10+int(c-'0'), true
			continue
		}
		if in {
			out = append(out, n)
		}
		n, in = 0, false
	}
	if in {
		out = append(out, n)
	}
	return out
}

func walk(roots []int) (Table, error) {
	seen := make(map[int]bool, len(roots))
	for _, r := range roots {
		seen[r] = true
	}
	var out Table
	for queue := roots; len(queue) > 0; queue = queue[1:] {
		kids, err := Children(queue[0])
		if err != nil {
			return nil, err
		}
		for _, k := range kids {
			if seen[k] {
				continue
			}
			seen[k] = true
			if p, ok := Identify(k); ok {
				out = append(out, p)
				queue = append(queue, k)
			}
		}
	}
	sortByPid(out)
	return out, nil
}
