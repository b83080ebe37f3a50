package supervise

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestBackoffPolicyValidate(t *testing.T) {
	tests := []struct {
		name    string
		policy  BackoffPolicy
		wantErr string // "" for valid
	}{
		{name: "defaults", policy: BackoffPolicy{Min: time.Second, Max: time.Minute, Reset: time.Minute}},
		{name: "no delay at all", policy: BackoffPolicy{}},
		{name: "fixed delay", policy: BackoffPolicy{Min: 5 * time.Second, Max: 5 * time.Second}},
		{name: "negative min", policy: BackoffPolicy{Min: -time.Second, Max: time.Minute}, wantErr: "--backoff-min=-1s"},
		{name: "negative max", policy: BackoffPolicy{Max: -time.Second}, wantErr: "--backoff-max=-1s"},
		{name: "negative reset", policy: BackoffPolicy{Max: time.Second, Reset: -time.Second}, wantErr: "--backoff-reset=-1s"},
		{name: "max below min", policy: BackoffPolicy{Min: 5 * time.Second, Max: time.Second},
			wantErr: "--backoff-max=1s is below --backoff-min=5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRefusal(t, tt.policy.Validate(), tt.wantErr)
		})
	}
}

func TestValidateStop(t *testing.T) {
	tests := []struct {
		name    string
		signal  syscall.Signal
		grace   time.Duration
		wantErr string
	}{
		{name: "term with grace", signal: syscall.SIGTERM, grace: 10 * time.Second},
		{name: "no grace", signal: syscall.SIGINT},
		{name: "no signal", grace: time.Second, wantErr: `--stop-signal=""`},
		{name: "negative grace", signal: syscall.SIGTERM, grace: -time.Second, wantErr: "--stop-grace=-1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRefusal(t, ValidateStop(tt.signal, tt.grace), tt.wantErr)
		})
	}
}

// checkRefusal wants no error for wantErr "", else one line containing it.
func checkRefusal(t *testing.T, err error, wantErr string) {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want one line containing %q", err, wantErr)
	}
}
