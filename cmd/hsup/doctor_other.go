//go:build !darwin

package main

import "github.com/hsup/hsup/doctor"

// macFacts gathers nothing off macOS: doctor says nothing about launchd
// domains, GUI sessions or TCC folders there.
func macFacts(*doctor.Input, []string) {}
