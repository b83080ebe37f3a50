// Package demoapp is a small web app that imitates the Hermes WebUI's health
// contract, with failure switches a user flips with curl. `hsup demo`
// supervises it (hsup re-executes itself as the child and calls Run), and
// hsup's end-to-end tests use it as their fixture, so its behaviour is exact
// and deterministic.
//
// Endpoints:
//
//	GET  /health            cheap probe: 200 JSON with accept_loop.requests_total
//	GET  /health?deep=1     deep probe: adds "checks"; 503 "degraded" when the deep switch is on
//	HEAD /health            501, like the WebUI (probe with GET)
//	GET  /demo              the switches and their state as JSON
//	POST /demo/<name>       turn a switch on (see Switches); /demo/heal turns deep, freeze, busy off
//	                        (noaccept, hang, reset and emfile stay on until the app restarts)
//
// POST /demo/emfile is the WebUI's production wedge: the app opens handles
// on state.db until open fails with EMFILE (its RLIMIT_NOFILE: `hsup demo`
// passes --nofile to the demo-app, which pins it), then its accept loop
// swallows the EMFILE that every accept now returns and retries at once,
// as Python's socketserver does. The waiting connection never leaves the
// backlog, so the loop spins on a core, counting accept_loop.requests_total
// before every accept: the counter climbs while nothing new is served.
// Connections accepted before the switch are still served.
//
// accept_loop.requests_total counts accepted TCP connections, not requests:
// it is counted in the listener wrapper's Accept, so keep-alive requests on
// one connection leave it unchanged, as in the WebUI.
//
// Switches live in memory only: a restarted app starts with all of them off.
// The /demo paths stay reachable while the busy switch is on, so heal works.
//
// Signals, handled by Run while it runs: SIGUSR1 writes every goroutine's
// stack to Config.Stderr and keeps running (like Python's faulthandler);
// SIGTERM and SIGINT shut the app down like a cancelled context (Run returns
// nil). The caller may also cancel ctx itself; both paths are the same.
package demoapp
