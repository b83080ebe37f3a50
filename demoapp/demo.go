package demoapp

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

const (
	defaultLeak = 300   // the production wedge held a few hundred state.db handles
	maxLeak     = 65536 // one call cannot ask for more than a generous hard limit
)

// switchAnswer is the one-line JSON answer to POST /demo/<name>.
type switchAnswer struct {
	Switch    string   `json:"switch"`
	On        []string `json:"on"`
	LeakedFDs *int     `json:"leaked_fds,omitempty"`
	ExitCode  *int     `json:"exit_code,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// routes builds the app's handler: /health, /demo and /demo/<name>, with
// the busy switch in front of everything except /demo.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/health", a.handleHealth)
	mux.HandleFunc("GET /demo", a.handleList)
	mux.HandleFunc("POST /demo/{name}", a.handleSwitch)
	mux.HandleFunc("GET /slow", a.handleSlow) // slow.go: a slow endpoint for load tests
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sw, _, _ := a.state.snapshot(); sw.Busy && !isDemoPath(r.URL.Path) {
			writeBusy(w)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func isDemoPath(p string) bool { return p == "/demo" || strings.HasPrefix(p, "/demo/") }

// writeBusy is the WebUI's overload answer: a bare 503, no body, no type.
func writeBusy(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusServiceUnavailable)
}

// handleList answers GET /demo with every switch and whether it is on.
func (a *app) handleList(w http.ResponseWriter, _ *http.Request) {
	sw, _, leaked := a.state.snapshot()
	on := map[string]bool{}
	for _, name := range sw.on() {
		on[name] = true
	}
	type entry struct {
		Name   string `json:"name"`
		On     bool   `json:"on"`
		Curl   string `json:"curl"`
		Effect string `json:"effect"`
	}
	list := struct {
		Switches  []entry `json:"switches"`
		LeakedFDs int     `json:"leaked_fds"`
	}{LeakedFDs: leaked}
	for _, s := range Switches() {
		list.Switches = append(list.Switches, entry{s.Name, on[s.Name], s.Curl(a.addr), s.Effect})
	}
	writeJSON(w, http.StatusOK, list)
}

// handleSwitch answers POST /demo/<name>.
func (a *app) handleSwitch(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	switch name {
	case "heal":
		sw := a.state.update(switchState.healed)
		writeJSON(w, http.StatusOK, switchAnswer{Switch: name, On: sw.on()})
	case "leak":
		a.handleLeak(w, r)
	case "emfile":
		a.handleEMFile(w)
	case "crash":
		a.handleCrash(w, r)
	default:
		if _, ok := (switchState{}).turnOn(name); !ok {
			writeJSON(w, http.StatusNotFound, switchAnswer{Switch: name, On: a.on(),
				Error: fmt.Sprintf("unknown switch %q; GET /demo lists them", name)})
			return
		}
		sw := a.state.update(func(s switchState) switchState { s, _ = s.turnOn(name); return s })
		if sw.NoAccept {
			a.ln.stopAccepting()
		}
		writeJSON(w, http.StatusOK, switchAnswer{Switch: name, On: sw.on()})
	}
}

func (a *app) on() []string {
	sw, _, _ := a.state.snapshot()
	return sw.on()
}

// handleLeak answers POST /demo/leak?n=N: N more handles on state.db.
func (a *app) handleLeak(w http.ResponseWriter, r *http.Request) {
	n, err := parseCount(r.URL.Query().Get("n"), defaultLeak, 1, maxLeak)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, switchAnswer{Switch: "leak", On: a.on(), Error: "n: " + err.Error()})
		return
	}
	total, err := a.state.leak(a.dbPath, n)
	ans := switchAnswer{Switch: "leak", On: a.on(), LeakedFDs: &total}
	code := http.StatusOK
	if err != nil {
		ans.Error, code = err.Error(), http.StatusInternalServerError
	}
	writeJSON(w, code, ans)
}

// handleEMFile answers POST /demo/emfile: handles on state.db until the
// app is out of descriptors, then the accept loop spins (see swallows).
// The answer goes out on the connection already accepted, which needs no
// new descriptor.
func (a *app) handleEMFile(w http.ResponseWriter) {
	total, err := a.state.exhaust(a.dbPath, maxLeak)
	ans := switchAnswer{Switch: "emfile", On: a.on(), LeakedFDs: &total}
	code := http.StatusOK
	if err != nil {
		ans.Error, code = err.Error(), http.StatusInternalServerError
	}
	writeJSON(w, code, ans)
}

// handleCrash answers POST /demo/crash?code=N, then makes Run return
// *ExitError{Code: N}. The answer is on the wire before Run is told.
func (a *app) handleCrash(w http.ResponseWriter, r *http.Request) {
	code, err := parseCount(r.URL.Query().Get("code"), 1, 0, 255)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, switchAnswer{Switch: "crash", On: a.on(), Error: "code: " + err.Error()})
		return
	}
	w.Header().Set("Connection", "close")
	writeJSON(w, http.StatusOK, switchAnswer{Switch: "crash", On: a.on(), ExitCode: &code})
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	select {
	case a.crash <- code:
	default: // a crash is already on its way; the first code wins
	}
}

// parseCount parses a decimal query value; "" gives def. The value must be
// within [lo, hi].
func parseCount(v string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number; pass e.g. %d", v, def)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is out of range; pass %d to %d", n, lo, hi)
	}
	return n, nil
}
