package hsuptest

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
)

// Scrape GETs a Prometheus text endpoint and returns every sample keyed by
// its series exactly as printed (`name{label="v",...}`, labels in the
// order the server wrote them), plus the raw text for linting. It fails
// the test when the endpoint does not answer 200.
func Scrape(t testing.TB, url string) (map[string]float64, string) {
	t.Helper()
	code, body := Get(t, url)
	if code != 200 {
		t.Fatalf("scrape %s: status %d: %s", url, code, body)
	}
	return ParseSamples(body), body
}

// ParseSamples reads the sample lines of the Prometheus text format
// (comments skipped, no timestamps expected); unparsable values are left out.
func ParseSamples(text string) map[string]float64 {
	out := make(map[string]float64)
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out
}
