// Package observe holds end-to-end tests of what hsup lets an operator
// observe: diagnostics bundles, FD pressure, /metrics, /healthz and
// sd_notify. The tests run the built binary as a user would (see
// test/hsuptest); the package itself has no code.
package observe
