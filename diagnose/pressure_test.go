package diagnose

import "testing"

func TestDecide(t *testing.T) {
	tests := []struct {
		name      string
		open      int
		limit     uint64
		armed     bool
		warn      float64
		restart   float64
		want      pressureAction
		wantArmed bool
	}{
		{name: "low stays armed", open: 10, limit: 100, armed: true, warn: 0.8, want: pressureNone, wantArmed: true},
		{name: "low re-arms", open: 79, limit: 100, armed: false, warn: 0.8, want: pressureNone, wantArmed: true},
		{name: "crossing warns once", open: 80, limit: 100, armed: true, warn: 0.8, want: pressureWarn, wantArmed: false},
		{name: "still high stays quiet", open: 90, limit: 100, armed: false, warn: 0.8, want: pressureNone, wantArmed: false},
		{name: "restart off", open: 100, limit: 100, armed: false, warn: 0.8, want: pressureNone, wantArmed: false},
		{name: "restart wins over warn", open: 96, limit: 100, armed: true, warn: 0.8, restart: 0.95, want: pressureRestart, wantArmed: false},
		{name: "between warn and restart", open: 90, limit: 100, armed: true, warn: 0.8, restart: 0.95, want: pressureWarn, wantArmed: false},
		{name: "restart without warn", open: 95, limit: 100, armed: true, warn: -1, restart: 0.95, want: pressureRestart, wantArmed: false},
		{name: "warn disabled", open: 90, limit: 100, armed: true, warn: -1, want: pressureNone, wantArmed: true},
		{name: "unknown limit", open: 5000, limit: 0, armed: true, warn: 0.8, restart: 0.95, want: pressureNone, wantArmed: true},
		{name: "unlimited", open: 1 << 20, limit: ^uint64(0), armed: true, warn: 0.8, restart: 0.95, want: pressureNone, wantArmed: true},
		{name: "the production wedge", open: 366, limit: 256, armed: true, warn: 0.8, restart: 0.95, want: pressureRestart, wantArmed: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, armed := decide(tt.open, tt.limit, tt.armed, tt.warn, tt.restart)
			if got != tt.want || armed != tt.wantArmed {
				t.Fatalf("decide(%d, %d, %v, %v, %v) = %v, %v; want %v, %v",
					tt.open, tt.limit, tt.armed, tt.warn, tt.restart, got, armed, tt.want, tt.wantArmed)
			}
		})
	}
}
