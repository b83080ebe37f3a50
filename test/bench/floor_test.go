package main

import (
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"
)

func TestFloorImports(t *testing.T) {
	deps := []string{
		"runtime", "internal/abi", "unsafe", "C", "vendor/golang.org/x/net/idna",
		"crypto/internal/fips140", "net/http", "net/http",
		"github.com/prometheus/client_golang/prometheus",
		"github.com/prometheus/client_golang/prometheus/internal",
		"github.com/hsup/hsup", "github.com/hsup/hsup/supervise", "github.com/hsup/hsupx/other",
		"go.uber.org/zap/internal/bufferpool", "example.com/internalize",
	}
	got := floorImports(deps, "github.com/hsup/hsup")
	want := []string{
		"example.com/internalize", "github.com/hsup/hsupx/other",
		"github.com/prometheus/client_golang/prometheus", "net/http", "runtime",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("floorImports:\n got %q\nwant %q", got, want)
	}
}

func TestFloorSource(t *testing.T) {
	src := floorSource([]string{"net/http", "go.uber.org/zap"})
	f, err := parser.ParseFile(token.NewFileSet(), "deps_gen.go", src, parser.ImportsOnly)
	if err != nil {
		t.Fatalf("the overlay does not parse: %v\n%s", err, src)
	}
	var got []string
	for _, im := range f.Imports {
		if im.Name == nil || im.Name.Name != "_" {
			t.Errorf("import %s is not blank", im.Path.Value)
		}
		p, _ := strconv.Unquote(im.Path.Value)
		got = append(got, p)
	}
	if f.Name.Name != "main" || !slices.Equal(got, []string{"net/http", "go.uber.org/zap"}) {
		t.Fatalf("package %s imports %q", f.Name.Name, got)
	}
}
