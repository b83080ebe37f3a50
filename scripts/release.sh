#!/usr/bin/env bash
# The release build of hsup, one command:
#
#   scripts/release.sh [VERSION]
#
# builds static, stripped binaries for darwin/arm64, darwin/amd64,
# linux/amd64 and linux/arm64 into dist/ (hsup-GOOS-GOARCH, plus
# SHA256SUMS), with VERSION stamped into `hsup version` and
# hsup_build_info. VERSION defaults to `git describe --tags --always --dirty`.
#
# The flags, and why (README.md "Release build"):
#   CGO_ENABLED=0                       static: no libc, runs on any kernel of the arch
#   -trimpath                           no build paths in the binary
#   -ldflags "-s -w -X main.version=V"  no symbol table or DWARF; the version
#   -tags urfave_cli_no_docs            drops the CLI's man/markdown generators (less memory)
#   -tags nethttpomithttp2              drops HTTP/2 from net/http: the metrics listener
#                                       and the probes speak HTTP/1.1 only (less memory)
#   -tags hsup_nopprof                  drops net/http/pprof (less memory); such an hsup
#                                       refuses --pprof: `go install` keeps it
#
# Environment: HSUP_TARGETS (space-separated GOOS/GOARCH, default the four
# above) and HSUP_DIST (output directory, default dist). test/bench builds
# its release-style hsup through this script with both set.
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-$(git describe --tags --always --dirty 2>/dev/null || true)}
if [[ -z $version ]]; then
  echo "release.sh: no VERSION given and git describe found none; run: scripts/release.sh v1.2.3" >&2
  exit 2
fi
if [[ ! $version =~ ^[A-Za-z0-9._+-]+$ ]]; then
  echo "release.sh: VERSION $version: only letters, digits and . _ + - please" >&2
  exit 2
fi
dist=${HSUP_DIST:-dist}
targets=${HSUP_TARGETS:-darwin/arm64 darwin/amd64 linux/amd64 linux/arm64}
tags=urfave_cli_no_docs,nethttpomithttp2,hsup_nopprof
ldflags="-s -w -X main.version=$version"

mkdir -p "$dist"
outs=()
for target in $targets; do
  goos=${target%/*} goarch=${target#*/}
  out=$dist/hsup-$goos-$goarch
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$out" ./cmd/hsup
  echo "built $out ($version)"
  outs+=("hsup-$goos-$goarch")
done
if command -v sha256sum >/dev/null; then
  (cd "$dist" && sha256sum "${outs[@]}" >SHA256SUMS)
else
  (cd "$dist" && shasum -a 256 "${outs[@]}" >SHA256SUMS) # macOS
fi
