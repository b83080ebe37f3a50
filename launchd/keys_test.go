package launchd

import (
	"fmt"
	"reflect"
	"testing"

	"howett.net/plist"
)

// documentedKeys are the top-level keys of launchd.plist(5) (the man page
// of launchd-842, apple-oss-distributions/launchd man/launchd.plist.5,
// "XML PROPERTY LIST KEYS"), each with the type the page gives it.
var documentedKeys = map[string]string{
	"Label": "string", "Disabled": "boolean", "UserName": "string", "GroupName": "string",
	"inetdCompatibility": "dictionary", "LimitLoadToHosts": "array of strings",
	"LimitLoadFromHosts": "array of strings", "LimitLoadToSessionType": "string",
	"Program": "string", "ProgramArguments": "array of strings", "EnableGlobbing": "boolean",
	"EnableTransactions": "boolean", "OnDemand": "boolean", "KeepAlive": "boolean or dictionary",
	"RunAtLoad": "boolean", "RootDirectory": "string", "WorkingDirectory": "string",
	"EnvironmentVariables": "dictionary of strings", "Umask": "integer", "TimeOut": "integer",
	"ExitTimeOut": "integer", "ThrottleInterval": "integer", "InitGroups": "boolean",
	"WatchPaths": "array of strings", "QueueDirectories": "array of strings", "StartOnMount": "boolean",
	"StartInterval": "integer", "StartCalendarInterval": "dictionary or array",
	"StandardInPath": "string", "StandardOutPath": "string", "StandardErrorPath": "string",
	"Debug": "boolean", "WaitForDebugger": "boolean",
	"SoftResourceLimits": "dictionary of integers", "HardResourceLimits": "dictionary of integers",
	"Nice": "integer", "ProcessType": "string", "AbandonProcessGroup": "boolean",
	"LowPriorityIO": "boolean", "LaunchOnlyOnce": "boolean", "MachServices": "dictionary",
	"Sockets": "dictionary",
}

// documentedSubkeys are the keys launchd.plist(5) lists inside the
// dictionaries hsup writes, and documentedValues the values it lists for
// string keys that take one of a few.
var (
	documentedSubkeys = map[string][]string{
		"KeepAlive": {"SuccessfulExit", "NetworkState", "PathState", "OtherJobEnabled"},
		"SoftResourceLimits": {"Core", "CPU", "Data", "FileSize", "MemoryLock", "NumberOfFiles",
			"NumberOfProcesses", "ResidentSetSize", "Stack"},
	}
	documentedValues = map[string][]string{
		"ProcessType": {"Background", "Standard", "Adaptive", "Interactive"},
	}
)

// TestKeysDocumented generates every kind of plist hsup writes (agent and
// daemon, each --restart), decodes it generically and checks each key,
// subkey, type and enumerated value against launchd.plist(5), then the
// values themselves.
func TestKeysDocumented(t *testing.T) {
	no := false
	keepAlive := map[string]any{"always": true, "on-failure": map[string]any{"SuccessfulExit": no}, "never": false}
	for _, daemon := range []bool{false, true} {
		for _, restart := range []string{"always", "on-failure", "never"} {
			t.Run(fmt.Sprintf("daemon=%t/restart=%s", daemon, restart), func(t *testing.T) {
				c := testConfig()
				c.Restart, c.MaxFilesPerProc = restart, 10240
				if daemon {
					c.Daemon, c.UserName, c.GroupName = true, "ann", "staff"
				}
				data, err := Generate(c)
				if err != nil {
					t.Fatal(err)
				}
				var got map[string]any
				if _, err := plist.Unmarshal(data, &got); err != nil {
					t.Fatalf("decode: %v\n%s", err, data)
				}
				for k, v := range got {
					checkDocumented(t, k, v)
				}
				want := wantKeys(c, keepAlive[restart])
				if !reflect.DeepEqual(got, want) {
					t.Errorf("plist values:\n got %#v\nwant %#v", got, want)
				}
			})
		}
	}
}

// wantKeys is the generic decoding of the plist c should give.
func wantKeys(c Config, keepAlive any) map[string]any {
	logs := "/Users/ann/Library/Logs/" + c.Label
	if c.Daemon {
		logs = "/Library/Logs/" + c.Label
	}
	var argv []any
	for _, a := range argvOf(c, logs) {
		argv = append(argv, a)
	}
	want := map[string]any{
		"Label": c.Label, "ProgramArguments": argv, "RunAtLoad": true, "KeepAlive": keepAlive,
		"ProcessType": "Standard", "ThrottleInterval": uint64(10), "ExitTimeOut": uint64(15),
		"WorkingDirectory":     c.WorkingDirectory,
		"EnvironmentVariables": map[string]any{"PATH": c.Path, "HOME": c.Home},
		"SoftResourceLimits":   map[string]any{"NumberOfFiles": uint64(4096)},
	}
	if c.Daemon {
		want["UserName"], want["GroupName"] = c.UserName, c.GroupName
		want["EnvironmentVariables"] = map[string]any{"PATH": c.Path}
		delete(want, "SoftResourceLimits")
	}
	want["StandardOutPath"], want["StandardErrorPath"] = logs+"/launchd.log", logs+"/launchd.log"
	return want
}

func checkDocumented(t *testing.T, key string, v any) {
	t.Helper()
	typ, ok := documentedKeys[key]
	if !ok {
		t.Errorf("key %q is not in launchd.plist(5)", key)
		return
	}
	if key == "HardResourceLimits" {
		t.Errorf("HardResourceLimits written: a lowered hard limit cannot be raised again")
	}
	if !hasType(v, typ) {
		t.Errorf("%s is %T, launchd.plist(5) says %s", key, v, typ)
	}
	if values, ok := documentedValues[key]; ok && !contains(values, v) {
		t.Errorf("%s = %v, launchd.plist(5) lists %q", key, v, values)
	}
	if d, ok := v.(map[string]any); ok {
		if sub, ok := documentedSubkeys[key]; ok {
			for k := range d {
				if !contains(sub, k) {
					t.Errorf("%s.%s is not in launchd.plist(5)", key, k)
				}
			}
		}
		if key == "KeepAlive" {
			if _, ok := d["SuccessfulExit"].(bool); !ok {
				t.Errorf("KeepAlive.SuccessfulExit is %T, want a boolean", d["SuccessfulExit"])
			}
		}
	}
}

func contains(list []string, v any) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// hasType reports whether a generically decoded value has the type the
// man page names.
func hasType(v any, typ string) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		_, ok := v.(uint64)
		return ok
	case "array of strings":
		a, ok := v.([]any)
		return ok && every(a, "string")
	case "dictionary of strings", "dictionary of integers":
		d, ok := v.(map[string]any)
		if !ok {
			return false
		}
		elem := map[string]string{"dictionary of strings": "string", "dictionary of integers": "integer"}[typ]
		for _, e := range d {
			if !hasType(e, elem) {
				return false
			}
		}
		return true
	case "boolean or dictionary":
		return hasType(v, "boolean") || hasType(v, "dictionary")
	case "dictionary":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func every(a []any, typ string) bool {
	for _, e := range a {
		if !hasType(e, typ) {
			return false
		}
	}
	return true
}
