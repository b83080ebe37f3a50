package launchd

import (
	"fmt"
)

// KeepAlive is the KeepAlive key: a boolean, or a dictionary of conditions
// of which hsup writes and reads only SuccessfulExit.
type KeepAlive struct {
	// Always is the boolean form: true restarts hsup whenever it exits,
	// false never (RunAtLoad still starts it once).
	Always bool
	// SuccessfulExit, when not nil, selects the dictionary form
	// {SuccessfulExit: *SuccessfulExit}: false restarts hsup only after a
	// non-zero exit, true only after exit 0. Always is then false.
	SuccessfulExit *bool
}

// KeepAliveFor maps hsup's --restart to KeepAlive: always -> true;
// on-failure -> {SuccessfulExit: false} (hsup exits 0 when it was told to
// stop or its child ended well, non-zero when it or its child failed);
// never -> false. "" is always, --restart's default.
func KeepAliveFor(restart string) (KeepAlive, error) {
	switch restart {
	case "", "always":
		return KeepAlive{Always: true}, nil
	case "on-failure":
		no := false
		return KeepAlive{SuccessfulExit: &no}, nil
	case "never":
		return KeepAlive{}, nil
	}
	return KeepAlive{}, fmt.Errorf("--restart=%q: use always, on-failure or never", restart)
}

// MarshalPlist writes the boolean or the dictionary form.
func (k KeepAlive) MarshalPlist() (any, error) {
	if k.SuccessfulExit != nil {
		return map[string]bool{"SuccessfulExit": *k.SuccessfulExit}, nil
	}
	return k.Always, nil
}

// UnmarshalPlist reads either form; dictionary conditions other than
// SuccessfulExit (NetworkState, PathState, ...) are ignored.
func (k *KeepAlive) UnmarshalPlist(unmarshal func(any) error) error {
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case bool:
		*k = KeepAlive{Always: v}
		return nil
	case map[string]any:
		*k = KeepAlive{}
		if s, ok := v["SuccessfulExit"]; ok {
			b, ok := s.(bool)
			if !ok {
				return fmt.Errorf("KeepAlive SuccessfulExit is %T, want a boolean", s)
			}
			k.SuccessfulExit = &b
		}
		return nil
	}
	return fmt.Errorf("KeepAlive is %T, want a boolean or a dictionary", v)
}
