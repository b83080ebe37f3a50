package fdlimit

import (
	"math"
	"testing"
)

func TestParseUlimit(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    uint64
		wantErr bool
	}{
		{name: "a number", out: "256\n", want: 256},
		{name: "unlimited", out: "unlimited\n", want: math.MaxUint64},
		{name: "no newline", out: "1048576", want: 1048576},
		{name: "zero is a misreading", out: "0\n", wantErr: true},
		{name: "empty", out: "", wantErr: true},
		{name: "an error message", out: "sh: ulimit: bad option\n", wantErr: true},
		{name: "negative", out: "-1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseUlimit([]byte(tt.out))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseUlimit(%q) = %d, %v; want %d, error %v", tt.out, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
