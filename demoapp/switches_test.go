package demoapp

import (
	"fmt"
	"strings"
	"testing"
)

func TestSwitchesCurl(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{name: "noaccept", want: "curl -X POST http://127.0.0.1:8787/demo/noaccept"},
		{name: "leak", want: "curl -X POST 'http://127.0.0.1:8787/demo/leak?n=300'"},
		{name: "crash", want: "curl -X POST 'http://127.0.0.1:8787/demo/crash?code=1'"},
		{name: "heal", want: "curl -X POST http://127.0.0.1:8787/demo/heal"},
	}
	byName := map[string]Switch{}
	for _, s := range Switches() {
		byName[s.Name] = s
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := byName[tt.name].Curl(DefaultAddr); got != tt.want {
				t.Errorf("Curl = %q, want %q", got, tt.want)
			}
		})
	}
}

// Every switch the app serves is listed, with a one-sentence effect.
func TestSwitchesComplete(t *testing.T) {
	want := []string{"noaccept", "hang", "reset", "deep", "freeze", "busy", "leak", "emfile", "crash", "heal"}
	got := Switches()
	if len(got) != len(want) {
		t.Fatalf("%d switches, want %d", len(got), len(want))
	}
	for i, s := range got {
		if s.Name != want[i] {
			t.Errorf("switch %d is %q, want %q", i, s.Name, want[i])
		}
		if !strings.HasSuffix(s.Effect, ".") || strings.Count(s.Effect, ". ") != 0 {
			t.Errorf("%s: effect %q is not one sentence", s.Name, s.Effect)
		}
	}
}

func ExampleSwitch_Curl() {
	for _, s := range Switches()[:2] {
		fmt.Println(s.Curl("127.0.0.1:8787"))
	}
	// Output:
	// curl -X POST http://127.0.0.1:8787/demo/noaccept
	// curl -X POST http://127.0.0.1:8787/demo/hang
}
