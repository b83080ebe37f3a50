package launchd

import (
	"reflect"
	"strings"
	"testing"

	"howett.net/plist"
)

func TestKeepAliveFor(t *testing.T) {
	no := false
	tests := []struct {
		restart string
		want    KeepAlive
		wantErr string
	}{
		{restart: "always", want: KeepAlive{Always: true}},
		{restart: "", want: KeepAlive{Always: true}},
		{restart: "on-failure", want: KeepAlive{SuccessfulExit: &no}},
		{restart: "never", want: KeepAlive{}},
		{restart: "Always", wantErr: "--restart"},
	}
	for _, tt := range tests {
		t.Run(tt.restart, func(t *testing.T) {
			got, err := KeepAliveFor(tt.restart)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("KeepAliveFor(%q) error = %v, want one containing %q", tt.restart, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("KeepAliveFor(%q) = %s, %v; want %s", tt.restart, keepAliveString(got), err, keepAliveString(tt.want))
			}
		})
	}
}

// TestKeepAliveDecode reads the forms a hand-written or older plist may
// hold, as doctor would.
func TestKeepAliveDecode(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name, value string
		want        KeepAlive
		wantErr     bool
	}{
		{name: "true", value: "<true/>", want: KeepAlive{Always: true}},
		{name: "false", value: "<false/>", want: KeepAlive{}},
		{name: "on failure", value: "<dict><key>SuccessfulExit</key><false/></dict>", want: KeepAlive{SuccessfulExit: &no}},
		{name: "on success", value: "<dict><key>SuccessfulExit</key><true/></dict>", want: KeepAlive{SuccessfulExit: &yes}},
		{name: "other conditions ignored", value: "<dict><key>NetworkState</key><true/></dict>", want: KeepAlive{}},
		{name: "absent", value: "", want: KeepAlive{}},
		{name: "string", value: "<string>yes</string>", wantErr: true},
		{name: "SuccessfulExit not a boolean", value: "<dict><key>SuccessfulExit</key><string>no</string></dict>", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `<plist version="1.0"><dict><key>Label</key><string>x</string>`
			if tt.value != "" {
				doc += "<key>KeepAlive</key>" + tt.value
			}
			doc += "</dict></plist>"
			var j Job
			_, err := plist.Unmarshal([]byte(doc), &j)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("decoded %s as %s, want an error", tt.value, keepAliveString(j.KeepAlive))
				}
				return
			}
			if err != nil || !reflect.DeepEqual(j.KeepAlive, tt.want) {
				t.Fatalf("KeepAlive %s = %s, %v; want %s", tt.value, keepAliveString(j.KeepAlive), err, keepAliveString(tt.want))
			}
		})
	}
}
