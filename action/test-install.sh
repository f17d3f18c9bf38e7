#!/usr/bin/env bash
# Tests action/install.sh against a fake GitHub release on loopback: an archive laid
# out as cargo-dist lays it out, with its .sha256, made from a vapi-drift binary built
# here. Proves the download, the checksum check (a wrong or missing checksum stops the
# install), and the fall back to `cargo install --git` (with a stub cargo).
#
#   action/test-install.sh target/release/vapi-drift
#
# Linux x86_64 only (the archive is the x86_64-unknown-linux-musl one, holding
# whatever binary it is given). Needs python3, curl, tar with xz, sha256sum.
set -euo pipefail

bin=${1:?usage: action/test-install.sh PATH/TO/vapi-drift}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
here=$(cd "$(dirname "$0")" && pwd)
install=$here/install.sh
target=x86_64-unknown-linux-musl
archive=vapi-drift-$target.tar.xz

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The release: owner/name/releases/download/v0.1.0/ and releases/latest/download/.
site=$work/site
rel=$site/acme/vd/releases
mkdir -p "$work/pkg/vapi-drift-$target" "$rel/download/v0.1.0" "$rel/download/v0.2.0" \
    "$rel/download/v0.3.0" "$rel/download/v0.4.0"
cp "$bin" "$work/pkg/vapi-drift-$target/vapi-drift"
tar -cJf "$rel/download/v0.1.0/$archive" -C "$work/pkg" "vapi-drift-$target"
(cd "$rel/download/v0.1.0" && sha256sum --binary "$archive" >"$archive.sha256")
mkdir -p "$rel/latest/download"
cp "$rel/download/v0.1.0/"* "$rel/latest/download/"
# v0.2.0: the checksum of other bytes
cp "$rel/download/v0.1.0/$archive" "$rel/download/v0.2.0/"
echo "0000000000000000000000000000000000000000000000000000000000000000 *$archive" \
    >"$rel/download/v0.2.0/$archive.sha256"
# v0.3.0: no checksum published
cp "$rel/download/v0.1.0/$archive" "$rel/download/v0.3.0/"
# v0.4.0: a correct hash, but named for another archive
cp "$rel/download/v0.1.0/$archive" "$rel/download/v0.4.0/"
sed "s/\*$archive/*vapi-drift-aarch64-apple-darwin.tar.xz/" "$rel/download/v0.1.0/$archive.sha256" \
    >"$rel/download/v0.4.0/$archive.sha256"

python3 - "$site" >"$work/port" 2>"$work/server.log" <<'EOF' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF
server_pid=$!
for _ in $(seq 50); do
    [ -s "$work/port" ] && break
    sleep 0.1
done
base=http://127.0.0.1:$(cat "$work/port")

failures=0
pass() { echo "ok   $1"; }
flunk() {
    echo "FAIL $1"
    failures=$((failures + 1))
}

# run NAME VERSION [extra env...]: install.sh with a fresh install dir; output in $work/out
run() {
    local version=$1
    shift
    rm -rf "${work:?}/bin" "${work:?}/out"
    env -u GITHUB_OUTPUT -u GITHUB_PATH RUNNER_OS=Linux RUNNER_ARCH=X64 \
        VD_VERSION="$version" VD_REPOSITORY=acme/vd VD_DOWNLOAD_BASE="$base" \
        VD_INSTALL_DIR="$work/bin" "$@" bash "$install" >"$work/out" 2>&1
}

if run v0.1.0 && grep -q "sha256 verified" "$work/out" && "$work/bin/vapi-drift" --version >/dev/null; then
    pass "a release with a matching checksum installs and runs"
else
    flunk "a release with a matching checksum installs and runs"
    cat "$work/out"
fi

if run 0.1.0 && [ -x "$work/bin/vapi-drift" ]; then
    pass "a version without its v names the v tag"
else
    flunk "a version without its v names the v tag"
    cat "$work/out"
fi

if run latest && grep -q "/releases/latest/download/$archive" "$work/out" && [ -x "$work/bin/vapi-drift" ]; then
    pass "latest downloads from releases/latest"
else
    flunk "latest downloads from releases/latest"
    cat "$work/out"
fi

if ! run v0.2.0 && grep -q "SHA-256 mismatch" "$work/out" && [ ! -e "$work/bin/vapi-drift" ]; then
    pass "a checksum mismatch fails and installs nothing"
else
    flunk "a checksum mismatch fails and installs nothing"
    cat "$work/out"
fi

if ! run v0.3.0 && grep -q "refusing an unverified binary" "$work/out" && [ ! -e "$work/bin/vapi-drift" ]; then
    pass "a missing checksum fails and installs nothing"
else
    flunk "a missing checksum fails and installs nothing"
    cat "$work/out"
fi

if ! run v0.4.0 && grep -q "is the checksum of" "$work/out" && [ ! -e "$work/bin/vapi-drift" ]; then
    pass "a checksum of another archive fails"
else
    flunk "a checksum of another archive fails"
    cat "$work/out"
fi

if ! run '0.1.0; touch pwned' && grep -q "is not a release version" "$work/out" && [ ! -e pwned ]; then
    pass "a version that is not a version is refused"
else
    flunk "a version that is not a version is refused"
    cat "$work/out"
fi

# No release v9.9.9: the fall back builds that tag from git. A stub cargo records its
# arguments and "builds" by copying the binary; VAPI_API_KEY must not reach it.
mkdir -p "$work/stub"
cat >"$work/stub/cargo" <<EOF
#!/usr/bin/env bash
printf '%s\n' "\$*" >"$work/cargo-args"
printf '%s\n' "\${VAPI_API_KEY:-unset}" >"$work/cargo-key"
root=
while [ \$# -gt 0 ]; do
    if [ "\$1" = --root ]; then root=\$2; fi
    shift
done
mkdir -p "\$root/bin" && cp "$bin" "\$root/bin/vapi-drift"
EOF
chmod +x "$work/stub/cargo"
if run v9.9.9 PATH="$work/stub:$PATH" VAPI_API_KEY=must-not-leak &&
    grep -q "no release archive at" "$work/out" &&
    grep -qx -- "install --locked --git $base/acme/vd --tag v9.9.9 --root .* --bin vapi-drift vapi-drift" "$work/cargo-args" &&
    [ "$(cat "$work/cargo-key")" = unset ] && [ -x "$work/bin/vapi-drift" ]; then
    pass "no release archive falls back to cargo install --git --tag, without the API key"
else
    flunk "no release archive falls back to cargo install --git --tag, without the API key"
    cat "$work/out" "$work/cargo-args" 2>/dev/null || true
fi

if run latest RUNNER_OS=Windows RUNNER_ARCH=ARM64 PATH="$work/stub:$PATH" &&
    grep -q "no release archive is built for Windows/ARM64" "$work/out" &&
    grep -qx -- "install --locked --git $base/acme/vd --root .* --bin vapi-drift vapi-drift" "$work/cargo-args"; then
    pass "a platform without release archives builds the default branch"
else
    flunk "a platform without release archives builds the default branch"
    cat "$work/out" "$work/cargo-args" 2>/dev/null || true
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures failed"
    exit 1
fi
echo "all passed"
