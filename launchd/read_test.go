package launchd

import (
	"strings"
	"testing"
	"time"

	"howett.net/plist"
)

// xmlPlist wraps dict entries in an XML property list as launchd reads it.
func xmlPlist(entries string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict><key>Label</key><string>com.example.webui</string>` + entries + `</dict></plist>`)
}

func TestReadStopTimeout(t *testing.T) {
	binary, err := plist.Marshal(map[string]any{"Label": "com.example.webui", "ExitTimeOut": 30}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	generated, err := Generate(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		want    time.Duration
		set     bool
		wantErr string // substring; "" for none
	}{
		{name: "set", data: xmlPlist(`<key>ExitTimeOut</key><integer>30</integer>`), want: 30 * time.Second, set: true},
		{name: "absent", data: xmlPlist(`<key>RunAtLoad</key><true/>`)},
		{name: "zero waits forever", data: xmlPlist(`<key>ExitTimeOut</key><integer>0</integer>`), set: true},
		{name: "binary plist", data: binary, want: 30 * time.Second, set: true},
		{name: "generated", data: generated, want: 15 * time.Second, set: true},
		{name: "a KeepAlive Decode would refuse is ignored",
			data: xmlPlist(`<key>KeepAlive</key><string>yes</string><key>ExitTimeOut</key><integer>7</integer>`), want: 7 * time.Second, set: true},
		{name: "string", data: xmlPlist(`<key>ExitTimeOut</key><string>30</string>`), wantErr: "ExitTimeOut 30: a string, not an integer"},
		{name: "real", data: xmlPlist(`<key>ExitTimeOut</key><real>2.5</real>`), wantErr: "not an integer"},
		{name: "negative", data: xmlPlist(`<key>ExitTimeOut</key><integer>-3</integer>`), wantErr: "ExitTimeOut -3: negative"},
		{name: "overflows a duration", data: xmlPlist(`<key>ExitTimeOut</key><integer>18446744073709551615</integer>`), wantErr: "too large"},
		{name: "not a plist", data: []byte("ExitTimeOut=30\n"), wantErr: "plutil -lint"},
		{name: "empty file", data: nil, wantErr: "no Label"},
		{name: "empty XML plist", data: []byte(`<plist version="1.0"></plist>`), wantErr: "the top level is empty, not a dictionary"},
		{name: "no label", data: []byte(`<plist version="1.0"><dict><key>ExitTimeOut</key><integer>30</integer></dict></plist>`), wantErr: "no Label"},
		{name: "an array", data: []byte(`<plist version="1.0"><array><integer>30</integer></array></plist>`),
			wantErr: "the top level is an array, not a dictionary"},
		{name: "OpenStep text has only strings", data: []byte(`{ Label = com.example.webui; ExitTimeOut = 30; }`), wantErr: "a string, not an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, set, err := ReadStopTimeout(tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want one line containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want || set != tt.set {
				t.Fatalf("ReadStopTimeout = %s, %t, %v; want %s, %t", got, set, err, tt.want, tt.set)
			}
		})
	}
}
