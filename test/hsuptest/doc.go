// Package hsuptest is the harness of hsup's end-to-end tests: it builds the
// hsup binary once per test process, starts it on 127.0.0.1 with bounded
// waits, and reads its JSON log lines as they come.
package hsuptest
