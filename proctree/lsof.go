package proctree

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
)

// parseLsofPids reads the output of `lsof -t`: one pid per line (lsof(8),
// "-t specifies that lsof should produce terse output with process
// identifiers only"). It returns them sorted, each once; a process with
// sockets on both IPv4 and IPv6 is listed once by lsof already, but a
// duplicate costs nothing to drop. Anything but a positive decimal pid is
// an error: lsof writes its warnings to stderr, so a stray line means the
// output is not what this parser knows.
func parseLsofPids(out []byte) ([]int, error) {
	var pids []int
	for line := range bytes.SplitSeq(out, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		pid, err := strconv.Atoi(string(line))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("parse lsof -t output: line %q is not a pid", line)
		}
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	return slices.Compact(pids), nil
}
