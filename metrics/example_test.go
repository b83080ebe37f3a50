package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hsup/hsup/metrics"
	"go.uber.org/zap"
)

// /healthz reports the supervisor's published status, read when asked.
func ExampleMetrics_Health() {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	now := start.Add(20 * time.Second)
	status := func() metrics.Status {
		return metrics.Status{State: "running", Pid: 4242, StartedAt: start, Restarts: 1, LastRestartReason: "heartbeat",
			HeartbeatKnown: true, HeartbeatValue: 17, HeartbeatAdvancedAt: now.Add(-4 * time.Second)}
	}
	m := metrics.New(metrics.Options{Now: func() time.Time { return now }, Status: status})

	h, healthy := m.Health(now)
	b, _ := json.Marshal(h)
	fmt.Println(healthy, string(b))
	// Output:
	// true {"state":"running","pid":4242,"restarts":1,"last_restart_reason":"heartbeat","heartbeat_age_seconds":4}
}

// Bind at start-up so a taken port fails fast (exit 2), then serve until the
// run group stops.
func ExampleServer() {
	log := zap.NewNop()
	m := metrics.New(metrics.Options{
		Live: func(ctx context.Context) error { return nil }, // round-trip through the supervisor loop
	})
	srv := metrics.NewServer(m.Handler(), log)
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // in hsup: cancelled when the supervisor stops for good
	if err := srv.Serve(ctx); err != nil {
		fmt.Println(err)
	}
	fmt.Println("stopped")
	// Output:
	// stopped
}
