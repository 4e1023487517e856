#!/usr/bin/env bash
# `cmake --install` and `cpack` of a build folder: the installed tree has
# both binaries (which answer --version with the build's version), the protos,
# the docs and the data files; the Debian package holds the same under /usr
# and names its shared-library dependencies.
#
#   tests/packaging/install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
source_dir="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log"
for f in bin/quorumd bin/quorum \
         share/quorum/proto/quorum/v1/qualification_service.proto \
         share/quorum/proto/google/rpc/error_details.proto \
         share/quorum/proto/grpc/health/v1/health.proto \
         share/quorum/default_policy.textproto share/quorum/demo-data.textproto \
         share/quorum/clia.mapping \
         share/doc/quorum/README.md share/doc/quorum/docs/cli.md \
         share/doc/quorum/docs/product.md \
         share/doc/quorum/docs/examples/signals.jsonl; do
  [[ -e "$tmp/prefix/$f" ]] || fail "cmake --install did not install $f"
done

# The version: git describe in a checkout, else the project version.
expected_prefix="$(sed -n 's/^project(quorum VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")"
[[ -n "$expected_prefix" ]] || fail "no project version in CMakeLists.txt"
for binary in quorumd quorum; do
  out="$("$tmp/prefix/bin/$binary" --version)"
  if git -C "$source_dir" rev-parse HEAD >/dev/null 2>&1; then
    if described="$(git -C "$source_dir" describe --tags --dirty 2>/dev/null)"; then
      want="$binary ${described#v}"
    else
      want="$binary $expected_prefix-g$(git -C "$source_dir" rev-parse --short HEAD)"
    fi
    [[ "$out" == "$want" || "$out" == "$want-dirty" ]] ||
      fail "$binary --version printed '$out', expected '$want'"
  else
    [[ "$out" == "$binary $expected_prefix" ]] ||
      fail "$binary --version printed '$out', expected '$binary $expected_prefix'"
  fi
done

(cd "$tmp" && cpack --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/pkg" >"$tmp/cpack.log") ||
  { cat "$tmp/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb="$(ls "$tmp"/pkg/*.deb 2>/dev/null | head -1)"
[[ -n "$deb" ]] || fail "cpack made no .deb: $(cat "$tmp/cpack.log")"
[[ "$(dpkg-deb -f "$deb" Package)" == quorum ]] || fail "package name"
[[ "$(dpkg-deb -f "$deb" Version)" == "$expected_prefix" ]] || fail "package version"
depends="$(dpkg-deb -f "$deb" Depends)"
[[ "$depends" == *libgrpc++* && "$depends" == *liblmdb* ]] ||
  fail "Depends lacks libgrpc++/liblmdb: $depends"
contents="$(dpkg-deb -c "$deb")"
for f in ./usr/bin/quorumd ./usr/bin/quorum \
         ./usr/share/quorum/proto/quorum/v1/resources.proto \
         ./usr/share/doc/quorum/README.md ./usr/share/doc/quorum/docs/product.md; do
  grep -qF " $f" <<<"$contents" || fail "the package lacks $f"
done
echo "install and package OK: $(basename "$deb"), Depends: $depends"
