package proctree

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// host is a small process tree:
//
//	1 init
//	├── 100 hsup
//	│   └── 200 child (group 200)
//	│       ├── 201 grandchild (group 200)
//	│       └── 202 setsid worker (session and group 202)
//	│           └── 300 its child (zombie)
//	└── 400 unrelated
//
// listed out of pid order, as a table a caller built may be.
var host = Table{
	{Pid: 202, PPid: 200, Pgid: 202, Sid: 202, Comm: "worker"},
	{Pid: 1, PPid: 0, Pgid: 1, Sid: 1, Comm: "init"},
	{Pid: 100, PPid: 1, Pgid: 100, Sid: 1, Comm: "hsup"},
	{Pid: 200, PPid: 100, Pgid: 200, Sid: 1, Comm: "sh"},
	{Pid: 201, PPid: 200, Pgid: 200, Sid: 1, Comm: "server"},
	{Pid: 300, PPid: 202, Pgid: 202, Sid: 202, Comm: "task", Zombie: true},
	{Pid: 400, PPid: 1, Pgid: 400, Sid: 400, Comm: "other"},
}

func pidsOf(ps []Proc) []int {
	var out []int
	for _, p := range ps {
		out = append(out, p.Pid)
	}
	return out
}

func TestDescendants(t *testing.T) {
	tests := []struct {
		name  string
		table Table
		roots []int
		want  []int
	}{
		{name: "whole tree below hsup", table: host, roots: []int{100}, want: []int{200, 201, 202, 300}},
		{name: "setsid worker and its child count", table: host, roots: []int{200}, want: []int{201, 202, 300}},
		{name: "roots excluded, each once", table: host, roots: []int{200, 202}, want: []int{201, 300}},
		{name: "duplicate root", table: host, roots: []int{202, 202}, want: []int{300}},
		{name: "leaf", table: host, roots: []int{300}},
		{name: "unknown root", table: host, roots: []int{999}},
		{name: "no roots", table: host},
		{name: "empty table", roots: []int{1}},
		{
			name:  "macOS pid 0 is its own parent",
			table: Table{{Pid: 0, PPid: 0}, {Pid: 1, PPid: 0}, {Pid: 50, PPid: 1}},
			roots: []int{0},
			want:  []int{1, 50},
		},
		{
			name:  "a parent loop ends",
			table: Table{{Pid: 10, PPid: 11}, {Pid: 11, PPid: 10}, {Pid: 12, PPid: 11}},
			roots: []int{10},
			want:  []int{11, 12},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pidsOf(tt.table.Descendants(tt.roots...)); !slices.Equal(got, tt.want) {
				t.Fatalf("Descendants(%v) = %v, want %v", tt.roots, got, tt.want)
			}
		})
	}
}

func TestDescendantsKeepsFields(t *testing.T) {
	got := host.Descendants(202)
	want := []Proc{{Pid: 300, PPid: 202, Pgid: 202, Sid: 202, Comm: "task", Zombie: true}}
	if !slices.Equal(got, want) {
		t.Fatalf("Descendants(202) = %+v, want %+v", got, want)
	}
}

func TestGroup(t *testing.T) {
	tests := []struct {
		name string
		pgid int
		want []int
	}{
		{name: "child's group without the setsid worker", pgid: 200, want: []int{200, 201}},
		{name: "zombie included", pgid: 202, want: []int{202, 300}},
		{name: "no such group", pgid: 999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pidsOf(host.Group(tt.pgid)); !slices.Equal(got, tt.want) {
				t.Fatalf("Group(%d) = %v, want %v", tt.pgid, got, tt.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name   string
		pid    int
		want   Proc
		wantOK bool
	}{
		{name: "present in an unsorted table", pid: 201, want: host[4], wantOK: true},
		{name: "first entry", pid: 202, want: host[0], wantOK: true},
		{name: "absent", pid: 999},
		{name: "pid 0 absent", pid: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := host.Lookup(tt.pid)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("Lookup(%d) = %+v, %v; want %+v, %v", tt.pid, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseLsofPids(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    []int
		wantErr bool
	}{
		{name: "nothing listens", out: ""},
		{name: "one", out: "123\n", want: []int{123}},
		{name: "sorted, each once", out: "900\n12\n900\n", want: []int{12, 900}},
		{name: "no final newline", out: "7\n8", want: []int{7, 8}},
		{name: "blank lines and CRLF", out: "\n5\r\n\n", want: []int{5}},
		{name: "a warning on stdout", out: "lsof: WARNING: can't stat() fuse\n5\n", wantErr: true},
		{name: "field output is not -t output", out: "p123\nf4\n", wantErr: true},
		{name: "zero", out: "0\n", wantErr: true},
		{name: "negative", out: "-3\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLsofPids([]byte(tt.out))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseLsofPids(%q) error = %v, want error %v", tt.out, err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("parseLsofPids(%q) = %v, want %v", tt.out, got, tt.want)
			}
		})
	}
}

// TestParseLsofRecorded parses the samples in testdata (see its README).
func TestParseLsofRecorded(t *testing.T) {
	tests := []struct {
		file string
		want []int
	}{
		{file: "lsof-t-listen.txt", want: []int{41327, 58012}},
		{file: "lsof-t-none.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseLsofPids(out)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("parseLsofPids(%s) = %v, %v; want %v, nil", tt.file, got, err, tt.want)
			}
		})
	}
}

func FuzzParseLsofPids(f *testing.F) {
	f.Add([]byte("123\n456\n"))
	f.Add([]byte(""))
	f.Add([]byte("p1\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		pids, err := parseLsofPids(out)
		if err != nil {
			return
		}
		if !slices.IsSorted(pids) || len(slices.Compact(slices.Clone(pids))) != len(pids) {
			t.Fatalf("parseLsofPids(%q) = %v: not sorted or has duplicates", out, pids)
		}
		for _, p := range pids {
			if p <= 0 {
				t.Fatalf("parseLsofPids(%q) = %v: pid %d", out, pids, p)
			}
		}
	})
}
