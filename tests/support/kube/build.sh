#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager 1.20.2 from Debian's `kubernetes` source package
# and caches the two binaries outside the work tree. Why a source build: Debian packages no
# kube-apiserver binary, the Go module proxy is out of reach, and the PyPI fakes lack label
# selectors, resourceVersion and PUT (see tests/README.md).
#
# Usage: build.sh            prints the cache folder holding both binaries (builds them if missing)
# Env:   CLOUDRIG_CACHE_DIR  cache root (default ~/.cache/cloudrig); binaries go to <root>/kube/1.20.2
#
# Safe against concurrent runs (flock on a lock file; the second run waits and then reuses the
# first one's result) and never leaves a partial binary in the cache (copy to a temporary name,
# then rename). Never touches /etc: deb-src entries are derived from the machine's own
# /etc/apt/sources.list.d/*.sources into a private folder for apt-get, so no mirror is named here.
# Needs (Debian): golang-go dpkg-dev rsync golang-github-modern-go-reflect2-dev (and root for
# `apt-get update` into the private lists folder).
set -euo pipefail

readonly SRC_PACKAGE="kubernetes=1.20.5+really1.20.2-1.1+deb12u1"
readonly KUBE_VERSION="1.20.2"
readonly BINARIES=(kube-apiserver kube-controller-manager)
readonly REFLECT2_DEBIAN="/usr/share/gocode/src/github.com/modern-go/reflect2"

cache="${CLOUDRIG_CACHE_DIR:-$HOME/.cache/cloudrig}/kube/${KUBE_VERSION}"

log() { printf '[kube-build] %s\n' "$*" >&2; }

have_all() {
  local b
  for b in "${BINARIES[@]}"; do [ -x "$cache/$b" ] || return 1; done
}

if have_all; then
  echo "$cache"
  exit 0
fi

for tool in go dpkg-source rsync apt-get make flock; do
  command -v "$tool" >/dev/null || {
    log "missing '$tool': apt-get install golang-go dpkg-dev rsync golang-github-modern-go-reflect2-dev make"
    exit 2
  }
done
[ -d "$REFLECT2_DEBIAN" ] || { log "missing $REFLECT2_DEBIAN: apt-get install golang-github-modern-go-reflect2-dev"; exit 2; }

mkdir -p "$cache"
exec 9>"$cache/.build.lock"
if ! flock -n 9; then
  log "another build is running; waiting for it"
  flock 9
fi
if have_all; then  # the other build finished while we waited
  echo "$cache"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/cloudrig-kube-build.XXXXXX")"
cleanup() {
  rm -rf "$work"
  rm -f "$cache"/.*.partial
}
trap cleanup EXIT

started=$(date +%s)
log "one-time build of kube-apiserver ${KUBE_VERSION} (5-10 min on 2 cores); cache: $cache"

# Private apt configuration: the machine's `Types: deb` stanzas, retyped as deb-src.
apt_dir="$work/apt"
mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
shopt -s nullglob
sources_files=(/etc/apt/sources.list.d/*.sources)
shopt -u nullglob
[ "${#sources_files[@]}" -gt 0 ] || { log "no /etc/apt/sources.list.d/*.sources to derive deb-src from"; exit 3; }
awk 'BEGIN { RS = ""; ORS = "\n\n" }
     /(^|\n)Types:[^\n]*(^|[ \t])deb([ \t]|\n|$)/ {
       sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print
     }' "${sources_files[@]}" > "$apt_dir/sources.list.d/deb-src.sources"
[ -s "$apt_dir/sources.list.d/deb-src.sources" ] || { log "no 'Types: deb' stanza found"; exit 3; }

apt_opts=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
)
log "apt-get update (deb-src, private lists)"
apt-get "${apt_opts[@]}" update -q >&2
log "apt-get source --download-only $SRC_PACKAGE"
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only -q "$SRC_PACKAGE" >&2)
dsc=("$work"/kubernetes_*.dsc)
log "dpkg-source -x ${dsc[0]##*/}"
dpkg-source -x "${dsc[0]}" "$work/src" >&2
src="$work/src"

# The vendored reflect2 1.0.1 segfaults under Go >= 1.18 (mapiterinit); Debian's 1.0.2 does not.
log "replacing vendored modern-go/reflect2 with Debian's 1.0.2"
rm -rf "$src/vendor/github.com/modern-go/reflect2"
cp -r "$REFLECT2_DEBIAN" "$src/vendor/github.com/modern-go/reflect2"
rm -f "$src/vendor/github.com/modern-go/reflect2/go.mod"

# No .git in a source package: give the version stamp explicitly (shown by /version).
cat > "$work/version.env" <<EOF
KUBE_GIT_COMMIT=''
KUBE_GIT_TREE_STATE='clean'
KUBE_GIT_VERSION='v${KUBE_VERSION}'
KUBE_GIT_MAJOR='1'
KUBE_GIT_MINOR='${KUBE_VERSION#1.}'
EOF
KUBE_GIT_MINOR_VALUE="$(echo "$KUBE_VERSION" | cut -d. -f2)"
sed -i "s/^KUBE_GIT_MINOR=.*/KUBE_GIT_MINOR='${KUBE_GIT_MINOR_VALUE}'/" "$work/version.env"

# A plain `go build` fails on the generated openapi code: the tree's own make generates it first.
log "make WHAT=\"cmd/kube-apiserver cmd/kube-controller-manager\""
(cd "$src" && KUBE_GIT_VERSION_FILE="$work/version.env" \
  make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2)

out="$src/_output/bin"
for b in "${BINARIES[@]}"; do
  [ -x "$out/$b" ] || { log "build produced no $out/$b"; exit 4; }
  cp "$out/$b" "$cache/.$b.partial"
  chmod 0755 "$cache/.$b.partial"
done
for b in "${BINARIES[@]}"; do mv -f "$cache/.$b.partial" "$cache/$b"; done
log "built in $(( $(date +%s) - started )) s"
echo "$cache"
