package healthcheck

import (
	"strings"
	"testing"
)

func TestField(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		path   string
		want   float64
		wantOK bool
	}{
		{name: "nested counter", body: `{"accept_loop":{"requests_total":42,"last_request_at":1.5}}`,
			path: "accept_loop.requests_total", want: 42, wantOK: true},
		{name: "top level", body: `{"n":-3.5}`, path: "n", want: -3.5, wantOK: true},
		{name: "exponent", body: `{"n":1e3}`, path: "n", want: 1000, wantOK: true},
		{name: "big but finite", body: `{"n":1e308}`, path: "n", want: 1e308, wantOK: true},
		{name: "beyond float64", body: `{"n":1e400}`, path: "n"},
		{name: "missing leaf", body: `{"accept_loop":{}}`, path: "accept_loop.requests_total"},
		{name: "missing branch", body: `{"status":"ok"}`, path: "accept_loop.requests_total"},
		{name: "string number", body: `{"n":"42"}`, path: "n"},
		{name: "null", body: `{"n":null}`, path: "n"},
		{name: "bool", body: `{"n":true}`, path: "n"},
		{name: "object leaf", body: `{"n":{"m":1}}`, path: "n"},
		{name: "through an array", body: `{"n":[1]}`, path: "n.0"},
		{name: "through a number", body: `{"n":1}`, path: "n.m"},
		{name: "invalid JSON", body: `{"n":`, path: "n"},
		{name: "empty body", body: ``, path: "n"},
		{name: "empty path", body: `{"":1}`, path: ""},
		{name: "empty segment", body: `{"a":{"":{"b":7}}}`, path: "a..b", want: 7, wantOK: true},
		{name: "top-level array", body: `[1]`, path: "0"},
		{name: "too deep", body: strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000), path: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Field([]byte(tt.body), tt.path)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Field(%.40q, %q) = %v, %v; want %v, %v", tt.body, tt.path, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
