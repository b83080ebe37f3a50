// Package hsuptest is the harness of hsup's end-to-end tests: it builds the
// hsup binary once per test process, starts it on 127.0.0.1 with bounded
// waits, and reads its JSON log lines as they come. load.go holds what
// test/e2e and test/bench share for a slow-load run: a thread-pool server
// (WorkerPool), its clients (Hammer) and a sampler of its accept queue
// (SampleQueue).
package hsuptest
