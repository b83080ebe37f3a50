package healthcheck_test

import (
	"fmt"
	"time"

	"github.com/hsup/hsup/healthcheck"
)

func ExampleClassify() {
	fmt.Println(healthcheck.Classify(200, []byte(`{"status":"ok"}`), nil))
	fmt.Println(healthcheck.Classify(503, []byte(`{"status":"degraded"}`), nil))
	fmt.Println(healthcheck.Classify(503, nil, nil))
	// Output:
	// ok ok
	// degraded degraded
	// busy HTTP 503 without a JSON body
}

func ExampleDeepURL() {
	u, err := healthcheck.DeepURL("http://127.0.0.1:8787/health?verbose=1")
	fmt.Println(u, err)
	// Output: http://127.0.0.1:8787/health?verbose=1&deep=1 <nil>
}

func ExamplePolicy() {
	cfg := healthcheck.DefaultConfig()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := healthcheck.NewPolicy(cfg, start)
	ok := func(n float64) healthcheck.Outcome {
		return healthcheck.Outcome{Result: healthcheck.OK, Heartbeat: n, HasHeartbeat: true}
	}
	fmt.Println(p.Observe(healthcheck.Cheap, healthcheck.Outcome{Result: healthcheck.Refused}, start.Add(time.Second)).Status)
	fmt.Println(p.Observe(healthcheck.Cheap, ok(1), start.Add(5*time.Second)).Status)
	v := p.Observe(healthcheck.Cheap, ok(1), start.Add(35*time.Second)) // counter frozen for 30s
	fmt.Println(v.Status, v.Reason)
	// Output:
	// starting
	// healthy
	// degraded heartbeat
}
