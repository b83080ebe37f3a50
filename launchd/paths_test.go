package launchd

import (
	"testing"
)

func TestCleanPath(t *testing.T) {
	exists := map[string]bool{
		"/opt/homebrew/bin": true, "/usr/local/bin": true, "/usr/bin": true, "/bin": true,
		"/Users/ann/.pyenv/shims": true, "/tmp/go-build1/bin": true, "/private/tmp/x": true,
		"/var/folders/zz/abc/T/bin": true, "/tmp": true, "/Users/ann/Library/Python/3.12/bin": true,
	}
	isDir := func(dir string) bool { return exists[dir] }
	tests := []struct {
		name, shell, want string
	}{
		{name: "empty PATH gets the system directories", shell: "", want: "/usr/bin:/bin:/usr/sbin:/sbin"},
		{
			name:  "relative, tilde, empty and dot entries dropped",
			shell: "bin:~/bin:::.:./node_modules/.bin:/opt/homebrew/bin",
			want:  "/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		},
		{
			name:  "missing directories dropped",
			shell: "/opt/homebrew/bin:/no/such/dir:/usr/local/bin",
			want:  "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		},
		{
			name:  "temporary directories dropped",
			shell: "/tmp/go-build1/bin:/private/tmp/x:/var/folders/zz/abc/T/bin:/tmp:/usr/local/bin",
			want:  "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		},
		{
			name:  "system directories kept in place, not repeated; /usr/sbin and /sbin appended",
			shell: "/usr/bin:/opt/homebrew/bin:/bin",
			want:  "/usr/bin:/opt/homebrew/bin:/bin:/usr/sbin:/sbin",
		},
		{
			name:  "duplicates and trailing slashes folded",
			shell: "/opt/homebrew/bin/:/opt/homebrew/bin:/usr//local/bin",
			want:  "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		},
		{
			name:  "shims and user directories that exist are kept",
			shell: "/Users/ann/.pyenv/shims:/Users/ann/Library/Python/3.12/bin",
			want:  "/Users/ann/.pyenv/shims:/Users/ann/Library/Python/3.12/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		},
		{
			name:  "an entry a plist cannot carry is dropped",
			shell: "/opt/homebrew/bin:/bad\x01dir:/\xff",
			want:  "/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CleanPath(tt.shell, isDir); got != tt.want {
				t.Errorf("CleanPath(%q)\n got %q\nwant %q", tt.shell, got, tt.want)
			}
		})
	}
}

func TestCleanPathKeepsExistingLookAlike(t *testing.T) {
	// /tmpfoo is not under /tmp: only a missing directory drops it.
	if got := CleanPath("/tmpfoo", func(string) bool { return true }); got != "/tmpfoo:/usr/bin:/bin:/usr/sbin:/sbin" {
		t.Fatalf("CleanPath = %q", got)
	}
}

func TestHsupPath(t *testing.T) {
	tests := []struct {
		name, ran, resolved, want string
	}{
		{
			name: "Homebrew on Apple silicon: the bin symlink, not the Cellar",
			ran:  "/opt/homebrew/bin/hsup", resolved: "/opt/homebrew/Cellar/hsup/1.2.3/bin/hsup",
			want: "/opt/homebrew/bin/hsup",
		},
		{
			name: "Homebrew on Intel with a revision",
			ran:  "/usr/local/bin/hsup", resolved: "/usr/local/Cellar/hsup/1.2.3_1/bin/hsup",
			want: "/usr/local/bin/hsup",
		},
		{
			name: "any Cellar path, even unversioned",
			ran:  "/opt/homebrew/bin/hsup", resolved: "/opt/homebrew/Cellar/hsup/HEAD-abc/bin/hsup",
			want: "/opt/homebrew/bin/hsup",
		},
		{
			name: "a version-named directory",
			ran:  "/Users/ann/.local/bin/hsup", resolved: "/Users/ann/.local/share/mise/installs/hsup/v0.4.0/bin/hsup",
			want: "/Users/ann/.local/bin/hsup",
		},
		{
			name: "the Nix store",
			ran:  "/run/current-system/sw/bin/hsup", resolved: "/nix/store/abc-hsup/bin/hsup",
			want: "/run/current-system/sw/bin/hsup",
		},
		{
			name: "a plain symlink resolves as before",
			ran:  "/usr/local/bin/hsup", resolved: "/Users/ann/src/hsup/hsup",
			want: "/Users/ann/src/hsup/hsup",
		},
		{
			name: "no symlink",
			ran:  "/Users/ann/go/bin/hsup", resolved: "/Users/ann/go/bin/hsup",
			want: "/Users/ann/go/bin/hsup",
		},
		{
			name: "unknown invocation keeps the resolved path",
			ran:  "", resolved: "/opt/homebrew/Cellar/hsup/1.2.3/bin/hsup",
			want: "/opt/homebrew/Cellar/hsup/1.2.3/bin/hsup",
		},
		{
			name: "relative invocation is not used",
			ran:  "bin/hsup", resolved: "/opt/homebrew/Cellar/hsup/1.2.3/bin/hsup",
			want: "/opt/homebrew/Cellar/hsup/1.2.3/bin/hsup",
		},
		{
			name: "ran the Cellar path itself",
			ran:  "/opt/homebrew/Cellar/hsup/1.2.3/bin/hsup", resolved: "/opt/homebrew/Cellar/hsup/1.2.3/bin/hsup",
			want: "/opt/homebrew/Cellar/hsup/1.2.3/bin/hsup",
		},
		{
			name: "a version in the file name only is not a versioned directory",
			ran:  "/usr/local/bin/hsup", resolved: "/opt/tools/hsup-1.2.3",
			want: "/opt/tools/hsup-1.2.3",
		},
		{
			name: "python3.12-like directory names are not versions",
			ran:  "/usr/local/bin/hsup", resolved: "/opt/python3.12/bin/hsup",
			want: "/opt/python3.12/bin/hsup",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HsupPath(tt.ran, tt.resolved); got != tt.want {
				t.Errorf("HsupPath(%q, %q) = %q, want %q", tt.ran, tt.resolved, got, tt.want)
			}
		})
	}
}

func TestClampNoFile(t *testing.T) {
	tests := []struct {
		name                  string
		nofile, maxPerProc, w uint64
	}{
		{name: "below the cap", nofile: 4096, maxPerProc: 10240, w: 4096},
		{name: "at the cap", nofile: 10240, maxPerProc: 10240, w: 10240},
		{name: "above the cap", nofile: 65536, maxPerProc: 24576, w: 24576},
		{name: "cap unknown", nofile: 65536, maxPerProc: 0, w: 65536},
		{name: "nothing asked", nofile: 0, maxPerProc: 10240, w: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClampNoFile(tt.nofile, tt.maxPerProc); got != tt.w {
				t.Errorf("ClampNoFile(%d, %d) = %d, want %d", tt.nofile, tt.maxPerProc, got, tt.w)
			}
		})
	}
}
