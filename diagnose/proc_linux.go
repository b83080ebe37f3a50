//go:build linux

package diagnose

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"

	"github.com/hsup/hsup/fdlimit"
)

// platformCollectors on Linux read /proc: the descriptor table (the
// fallback for lsof), every thread's state and kernel stack, the limits
// the kernel applies and the status block.
func (r *run) platformCollectors() []collector {
	t := r.cfg.Timeout
	return []collector{
		{name: "proc_fds", budget: t, run: r.procFDList},
		{name: "threads", budget: t, run: r.procThreads},
		{name: "limits", budget: t, run: r.procLimits},
		{name: "status", budget: t, run: func(context.Context) error { return r.copyProc("status", "status.txt") }},
	}
}

func (r *run) procDir() string { return "/proc/" + strconv.Itoa(r.pid) }

// procFDList reads every /proc/PID/fd link; fds.txt is written from it only
// when lsof gave no usable listing.
func (r *run) procFDList(ctx context.Context) error {
	dir := r.procDir() + "/fd"
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("list open files (needs the child's user or root): %w", err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	links := make([]fdLink, 0, len(names))
	for i, n := range names {
		if i%256 == 0 && ctx.Err() != nil {
			return fmt.Errorf("list %s: %w", dir, ctx.Err())
		}
		fd, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		target, err := os.Readlink(dir + "/" + n)
		if err != nil {
			continue // closed while we looked
		}
		links = append(links, fdLink{FD: fd, Link: target})
	}
	sort.Slice(links, func(i, j int) bool { return links[i].FD < links[j].FD })
	r.procFDs = links
	return nil
}

// procThreads writes threads.txt: per task its tid, name, state, wait
// channel and, where readable (root), its kernel stack.
func (r *run) procThreads(ctx context.Context) error {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return fmt.Errorf("list threads: %w", err)
	}
	tasks, err := fs.AllThreads(r.pid)
	if err != nil {
		return fmt.Errorf("list threads: %w", err)
	}
	sort.Sort(tasks)
	var b bytes.Buffer
	states := make([]ThreadState, 0, len(tasks))
	for _, task := range tasks {
		if ctx.Err() != nil {
			return fmt.Errorf("list threads: %w", ctx.Err())
		}
		states = append(states, r.describeTask(&b, task))
	}
	r.threads, r.threadStates = len(tasks), countStates(states)
	return r.b.write("threads.txt", b.Bytes())
}

// describeTask writes one task's entry of threads.txt and returns its
// state and wait channel.
func (r *run) describeTask(b *bytes.Buffer, task procfs.Proc) ThreadState {
	tid := strconv.Itoa(task.PID)
	dir := r.procDir() + "/task/" + tid
	comm := readTrim(dir + "/comm")
	ts := ThreadState{State: taskState(task), Wchan: readTrim(dir + "/wchan"), Count: 1}
	fmt.Fprintf(b, "tid %s comm %q state %s wchan %s\n", tid, comm, ts.State, ts.Wchan)
	stack, err := os.ReadFile(dir + "/stack")
	if err != nil {
		fmt.Fprintf(b, "  (kernel stack unreadable: %v)\n\n", err)
		return ts
	}
	for line := range strings.SplitSeq(strings.TrimRight(string(stack), "\n"), "\n") {
		fmt.Fprintf(b, "  %s\n", line)
	}
	b.WriteByte('\n')
	return ts
}

// taskState is the state letter of the task's stat, "?" when unreadable.
func taskState(task procfs.Proc) string {
	st, err := task.Stat()
	if err != nil || st.State == "" {
		return "?"
	}
	return st.State
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	if s := strings.TrimSpace(string(b)); s != "" {
		return s
	}
	return "-"
}

// procLimits writes limits.txt and takes the soft RLIMIT_NOFILE from it:
// what the kernel applies, not what hsup believes it set.
func (r *run) procLimits(context.Context) error {
	if err := r.copyProc("limits", "limits.txt"); err != nil {
		return err
	}
	n, err := fdlimit.SoftLimit(r.pid)
	if err != nil {
		return err
	}
	r.nofile, r.hasLimit = n, true
	return nil
}

func (r *run) copyProc(name, file string) error {
	b, err := os.ReadFile(r.procDir() + "/" + name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return r.b.write(file, b)
}
