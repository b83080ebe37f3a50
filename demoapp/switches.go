package demoapp

// Switch describes one thing a user can do to the demo app with curl, and
// what hsup does about it with its default settings.
type Switch struct {
	Name   string // path element: POST /demo/<Name>
	Query  string // default query without "?", e.g. "n=300"; "" for none
	Effect string // one sentence: what hsup does, with default settings
}

// Path is the request path with the default query, e.g. "/demo/leak?n=300".
func (s Switch) Path() string {
	p := "/demo/" + s.Name
	if s.Query != "" {
		p += "?" + s.Query
	}
	return p
}

// Curl is the exact command that flips the switch on the app at addr
// (host:port). URLs with a query are single-quoted so shells do not glob
// the "?".
func (s Switch) Curl(addr string) string {
	url := "http://" + addr + s.Path()
	if s.Query != "" {
		url = "'" + url + "'"
	}
	return "curl -X POST " + url
}

// Switches lists the switches in the order `hsup demo` prints them. The
// timings follow hsup's defaults: cheap probe every 5s with a 2s timeout
// and 3 failures, the accept-queue watch with --accept-stall 2s, deep probe every 60s with 2 failures, heartbeat stale
// after 30s, 12 bare 503s for busy, --nofile 4096 with --fd-warn 0.8.
func Switches() []Switch {
	return []Switch{
		{Name: "noaccept", Effect: "The app stops accepting connections while its port stays open, " +
			"so connections wait in its accept queue; hsup restarts it once they have waited 2s with no probe answered " +
			"(about 8s with only hsup's probes connecting), reason accept_stall."},
		{Name: "hang", Effect: "The app accepts connections but never answers them, " +
			"so probes time out; hsup restarts it after 3 failed probes (about 17s), reason health."},
		{Name: "reset", Effect: "The app resets every new connection, as in the production wedge; " +
			"hsup restarts it after 3 failed probes (about 15s), reason health."},
		{Name: "deep", Effect: "The deep probe answers 503 degraded (state_db error) while /health stays 200; " +
			"hsup restarts the app after 2 failed deep probes (within about 2 minutes), reason deep."},
		{Name: "freeze", Effect: "The accept counter stops advancing while /health still answers 200; " +
			"hsup restarts the app once it has not moved for 30s (about 35s), reason heartbeat."},
		{Name: "busy", Effect: "Every request gets a bare 503 as if all workers were busy; " +
			"hsup waits for 12 of them in a row (about 60s), then restarts the app, reason busy."},
		{Name: "leak", Query: "n=300", Effect: "The app opens 300 more handles on state.db and never closes them; " +
			"after about 11 calls it crosses 80% of its 4096 FD limit and hsup logs a warning " +
			"and writes one diagnostics bundle, but does not restart it unless --fd-restart is set."},
		{Name: "emfile", Effect: "The app opens handles on state.db until it runs out of descriptors, then its accept loop " +
			"swallows EMFILE and retries at once, spinning a core while its accept counter keeps climbing and nothing new is served, " +
			"as the WebUI did; hsup restarts it once connections have waited 2s in its accept queue with no probe answered " +
			"(about 8s), reason accept_stall, and the bundle names the wedge (out of file descriptors, accept loop spinning)."},
		{Name: "crash", Query: "code=1", Effect: "The app exits with code 1 right after answering; " +
			"hsup restarts it after a backoff of up to 1s, reason exit."},
		{Name: "heal", Effect: "Turns deep, freeze and busy off (noaccept, hang, reset and emfile stay); if that happens before the threshold, " +
			"probes pass again and hsup does not restart the app."},
	}
}
