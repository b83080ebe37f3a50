package acceptq

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// netstatRow is one listening socket of `netstat -L` output (macOS, and
// FreeBSD with its extra Proto column).
type netstatRow struct {
	Addr       string // host:port ("*" for any address)
	Port       int
	Queue      int // qlen: connections waiting to be accepted
	Incomplete int // incqlen: handshakes not yet complete
	Max        int // maxqlen: the backlog
}

// parseNetstat reads the output of `netstat -L -a -n -W -p tcp`. macOS's
// netstat (network_cmds, netstat.tproj/inet.c, protopr) prints a title
// line, a header line ("Listen  Local Address"), then one line per
// listening socket: "qlen/incqlen/maxqlen" and the local address as
// ADDRESS.PORT, where ADDRESS is "*" for any address; when the socket
// table changed during the read it adds a line "Some tcp sockets may have
// been created or deleted". A line of any other shape is an error: the
// output is not what this parser knows.
func parseNetstat(out []byte) ([]netstatRow, error) {
	var rows []netstatRow
	for line := range bytes.SplitSeq(out, []byte("\n")) {
		fields := strings.Fields(string(line))
		if len(fields) == 0 || netstatChatter(fields) {
			continue
		}
		row, err := netstatLine(fields)
		if err != nil {
			return nil, fmt.Errorf("parse netstat -L output: line %q: %w", bytes.TrimSpace(line), err)
		}
		if row.Port != 0 { // a socket not bound to a port yet listens on nothing
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// netstatChatter is a line that is not a socket: the title, the column
// header, the socket-table-changed notice.
func netstatChatter(fields []string) bool {
	switch fields[0] {
	case "Current", "Listen", "Proto", "Some":
		return true
	}
	return false
}

// netstatLine parses one socket line: an optional protocol column
// (FreeBSD's "tcp4"), the three queue figures, the local address.
func netstatLine(fields []string) (netstatRow, error) {
	if len(fields) == 3 && strings.HasPrefix(fields[0], "tcp") {
		fields = fields[1:]
	}
	if len(fields) != 2 {
		return netstatRow{}, fmt.Errorf("want qlen/incqlen/maxqlen and an address, got %d fields", len(fields))
	}
	var row netstatRow
	figures := strings.Split(fields[0], "/")
	if len(figures) != 3 {
		return netstatRow{}, fmt.Errorf("queue sizes %q are not qlen/incqlen/maxqlen", fields[0])
	}
	for i, dst := range []*int{&row.Queue, &row.Incomplete, &row.Max} {
		n, err := strconv.Atoi(figures[i])
		if err != nil || n < 0 {
			return netstatRow{}, fmt.Errorf("queue sizes %q are not qlen/incqlen/maxqlen", fields[0])
		}
		*dst = n
	}
	dot := strings.LastIndexByte(fields[1], '.')
	if dot <= 0 {
		return netstatRow{}, fmt.Errorf("address %q is not ADDRESS.PORT", fields[1])
	}
	host, port := fields[1][:dot], fields[1][dot+1:]
	if port == "*" {
		return row, nil // Port 0: dropped by the caller
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return netstatRow{}, fmt.Errorf("address %q has no port number (run netstat with -n)", fields[1])
	}
	row.Port, row.Addr = n, net.JoinHostPort(host, port)
	return row, nil
}

// fullestRow is the sample of the row on port with the longest queue;
// false when no socket listens on port.
func fullestRow(rows []netstatRow, port int) (Sample, bool) {
	var best Sample
	found := false
	for _, r := range rows {
		if r.Port != port {
			continue
		}
		if !found || r.Queue > best.Queue {
			best, found = Sample{Queue: r.Queue, Backlog: r.Max, Addr: r.Addr}, true
		}
	}
	return best, found
}
