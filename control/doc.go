// Package control is hsup's local control channel: HTTP over a unix socket
// in the service's state directory, <state dir>/<name>/control.sock, that
// `hsup status`, `hsup restart` and `hsup capture` use to reach the hsup
// that runs a service.
//
//	GET  /status    the Status (JSON, schema 1)
//	POST /restart   a bundle, then a restart with reason manual; 202 once begun
//	POST /capture   a bundle now, no restart; 200 with the bundle's directory
//
// A refusal (a capture or restart under way, no child running) is 409 with
// the reason; an answer that did not come in time is 504. Every reply is
// one JSON object.
//
// Why a unix socket rather than the metrics TCP port: a client finds it by
// the service's name, with no port to discover; filesystem permissions are
// the authentication (the socket is 0600, so only hsup's user, and root,
// can connect); it is unreachable from the network; services cannot
// collide on it; and it works with metrics disabled. There is no TCP
// option. The socket is bound in a fresh 0700 directory, made 0600 and
// then renamed into place, so no other user can connect even for an
// instant; a socket an hsup that died left behind is replaced (the
// service lock, held by the caller, proves nobody serves it), and the
// socket is removed when Serve returns.
//
// The server is bounded like the metrics listener: at most 8 connections
// at a time, 8 KiB of headers, no request body read, timeouts on every
// read and write. It also keeps the child's open FDs once a minute for an
// hour (the trend in Status.FDs).
package control
