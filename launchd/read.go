package launchd

import (
	"fmt"
	"math"
	"time"

	"howett.net/plist"
)

// ReadStopTimeout reads ExitTimeOut from a job's property list (any format
// launchd reads), for `hsup doctor` to judge --stop-grace against. It
// returns:
//   - the timeout and true when the plist sets ExitTimeOut; 0 and true for
//     ExitTimeOut 0, which launchd takes as "wait forever";
//   - 0 and false when the plist sets none (launchd then waits
//     DefaultExitTimeOut);
//   - an error, one line, when data is not a job's plist (a dictionary
//     with a Label) or ExitTimeOut is not a non-negative integer.
//
// Only ExitTimeOut is looked at, unlike Decode, so that a key hsup does
// not write in the form it expects (a hand-written KeepAlive) does not
// hide the one doctor needs.
func ReadStopTimeout(data []byte) (time.Duration, bool, error) {
	var top any
	if _, err := plist.Unmarshal(data, &top); err != nil {
		return 0, false, fmt.Errorf("decode launchd plist: %w; check the file with `plutil -lint`", err)
	}
	dict, ok := top.(map[string]any)
	if !ok {
		return 0, false, fmt.Errorf("decode launchd plist: the top level is %s, not a dictionary of job keys", plistType(top))
	}
	// Text plists parse even when empty; launchctl refuses a job without
	// a label, so its ExitTimeOut would never apply.
	if label, _ := dict["Label"].(string); label == "" {
		return 0, false, fmt.Errorf("decode launchd plist: no Label, so not a launchd job")
	}
	var secs int64
	switch v := dict["ExitTimeOut"].(type) {
	case nil:
		return 0, false, nil
	case uint64:
		if v > math.MaxInt64 {
			return 0, false, fmt.Errorf("ExitTimeOut %d: too large; give seconds", v)
		}
		secs = int64(v)
	case int64:
		secs = v
	default:
		return 0, false, fmt.Errorf("ExitTimeOut %v: %s, not an integer number of seconds", v, plistType(v))
	}
	if secs < 0 {
		return 0, false, fmt.Errorf("ExitTimeOut %d: negative; give 1 or more seconds", secs)
	}
	if secs > int64(math.MaxInt64/time.Second) {
		return 0, false, fmt.Errorf("ExitTimeOut %d: too large; give seconds", secs)
	}
	return time.Duration(secs) * time.Second, true, nil
}

// plistType names a decoded value's plist type, as plutil would.
func plistType(v any) string {
	switch v.(type) {
	case nil:
		return "empty"
	case string:
		return "a string"
	case uint64, int64:
		return "an integer"
	case float32, float64:
		return "a real"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a dictionary"
	case []byte:
		return "data"
	case time.Time:
		return "a date"
	}
	return fmt.Sprintf("%T", v)
}
