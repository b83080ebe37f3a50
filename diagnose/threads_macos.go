package diagnose

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// parsePsThreads reads `ps -M -p PID` (macOS): a heading, then one line
// per thread, the first being the process's own line (its main thread):
//
//	USER    PID   TT  %CPU STAT PRI     STIME     UTIME COMMAND
//	alice  4321   ??  97.9 R    31T   0:01.20   0:41.33 /usr/bin/python3 app.py
//	       4321        0.0 S    31T   0:00.00   0:00.01
//
// The threads' lines leave USER and TT blank, so fields are found from
// %CPU, the first number with a decimal point after the pid: then STAT,
// PRI, STIME and UTIME. Times are [hours:]minutes:seconds.hundredths; the
// decimal point may be a comma in some locales. A thread's CPU is STIME +
// UTIME; its state the first letter of STAT. ps shows no thread ids.
func parsePsThreads(out []byte) ([]threadReading, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	heading := false
	var threads []threadReading
	for sc.Scan() {
		line := sc.Text()
		if !heading {
			heading = strings.Contains(line, "STAT") && strings.Contains(line, "UTIME")
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		t, err := psThreadLine(strings.Fields(line))
		if err != nil {
			return threads, fmt.Errorf("ps -M line %q: %w", line, err)
		}
		threads = append(threads, t)
	}
	if err := sc.Err(); err != nil {
		return threads, fmt.Errorf("read ps -M output: %w", err)
	}
	if !heading {
		return nil, errors.New("ps -M output has no heading with STAT and UTIME")
	}
	if len(threads) == 0 {
		return nil, errors.New("ps -M listed no thread (did the process exit?)")
	}
	return threads, nil
}

// psThreadLine reads one thread's fields.
func psThreadLine(f []string) (threadReading, error) {
	for i := 1; i+4 < len(f); i++ {
		if !strings.ContainsAny(f[i], ".,") {
			continue
		}
		if _, err := strconv.ParseFloat(strings.ReplaceAll(f[i], ",", "."), 64); err != nil {
			continue
		}
		stime, err1 := psTime(f[i+3])
		utime, err2 := psTime(f[i+4])
		if err := errors.Join(err1, err2); err != nil {
			return threadReading{}, err
		}
		return threadReading{State: f[i+1][:1], Stat: stime + utime}, nil
	}
	return threadReading{}, errors.New("no %CPU, STAT, PRI, STIME, UTIME columns")
}

// psTime reads ps's CPU time, [hours:]minutes:seconds.hundredths, as
// seconds.
func psTime(s string) (float64, error) {
	parts := strings.Split(strings.ReplaceAll(s, ",", "."), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("CPU time %q is not minutes:seconds", s)
	}
	total := 0.0
	for i, p := range parts {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v < 0 || (i < len(parts)-1 && strings.Contains(p, ".")) {
			return 0, fmt.Errorf("CPU time %q is not minutes:seconds", s)
		}
		total = total*60 + v
	}
	return total, nil
}
