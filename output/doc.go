// Package output carries a supervised child's output and hsup's own log to
// hsup's standard output and error without ever letting a stalled reader
// (a paused terminal, a log shipper that stopped reading) hold up the
// child or hsup's loop.
//
// A Writer accepts bytes into a bounded buffer and returns at once; one
// goroutine, running only while there is something to write, hands them
// to the destination. What does not fit is dropped, whole writes at a
// time (a log record is never split), counted (Dropped), and reported in
// the stream itself once the destination takes bytes again (Options.Notice).
// Writes that fail (EPIPE: the reader went away) are dropped and counted
// the same way, never returned.
//
// Writer.Write never waits: it is for hsup's loop and its log. The child's
// output goes through Writer.Paced, which waits for room while the
// destination keeps accepting bytes (a reader that is merely slower than
// the child slows the child, as a pipe would) but never past Options.Stall
// of a write that does not return: from then on it drops as Write does.
// The os/exec goroutine copying the child's pipe therefore never blocks
// for long, so the child never blocks on hsup's output and cmd.Wait
// returns when the child exits.
//
// Records turns a byte stream into one JSON record per line, for hsup's
// JSON log mode, where hsup's log stream must hold nothing but JSON:
//
//	{"level":"info","ts":"2026-05-01T10:00:00.000Z","msg":"child output","stream":"stderr","line":"loading model: 10%.."}
//
// A line that has no newline yet is written as a record of its own, with
// "partial":true, once it has waited RecordOptions.Wait (100 ms) or grown
// to RecordOptions.Max (64 KiB); invalid UTF-8 is replaced by U+FFFD. A
// line that is already one JSON object (a child that logs JSON) may be
// kept as it is (RecordOptions.KeepJSON).
package output
