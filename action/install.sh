#!/usr/bin/env bash
# Installs vapi-drift for the GitHub Action (action.yml): the release archive for this
# runner, its SHA-256 checked against the published checksum, or a build from source
# when no release archive fits. Also runs by hand and in action/test-install.sh.
#
# Environment (every input arrives here, never in the script text):
#   VD_VERSION        latest | 1.2.3 | v1.2.3 | source
#   VD_REPOSITORY     owner/name of the releases (default vapi-drift/vapi-drift)
#   VD_DOWNLOAD_BASE  default https://github.com (tests point it at a loopback server)
#   VD_INSTALL_DIR    where the binary goes (default $RUNNER_TEMP/vapi-drift/bin)
#   VD_SOURCE_PATH    the checkout `source` builds (the action's own folder)
#   RUNNER_OS, RUNNER_ARCH  set by GitHub; uname is asked when they are absent
# Writes `version` and `bin` to $GITHUB_OUTPUT and the folder to $GITHUB_PATH, when set.
#
# A checksum that is missing or does not match stops the install: nothing is run.
# Only a release archive that does not exist (HTTP 404: no such release, or none for
# this platform) falls back to `cargo install --locked --git`.
set -euo pipefail

# Build scripts of dependencies run during a source build: they have no business
# with the API key.
unset VAPI_API_KEY

version=${VD_VERSION:-latest}
repo=${VD_REPOSITORY:-vapi-drift/vapi-drift}
base=${VD_DOWNLOAD_BASE:-https://github.com}
base=${base%/}
install_dir=${VD_INSTALL_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/vapi-drift/bin}
name=vapi-drift

fail() {
    echo "::error title=vapi-drift install::$*" >&2
    exit 1
}

if ! [[ $repo =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
    fail "repository \"$repo\" is not owner/name"
fi
case $version in
latest | source) tag= ;;
v[0-9]*) tag=$version ;;
[0-9]*) tag=v$version ;;
*) fail "version \"$version\" is not latest, source, or a release such as 0.1.0 or v0.1.0" ;;
esac
if [ -n "$tag" ] && ! [[ $tag =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
    fail "version \"$version\" is not a release version such as 0.1.0 or v0.1.0"
fi

# The cargo-dist target triple of this runner; empty when no release archive is built for it.
os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
case "$os/$arch" in
Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
Linux/ARM64 | Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-musl ;;
macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
Windows/X64 | MINGW*/x86_64 | MSYS*/x86_64) target=x86_64-pc-windows-msvc ;;
*) target= ;;
esac
exe=
archive_ext=.tar.xz
if [ "$target" = x86_64-pc-windows-msvc ]; then
    exe=.exe
    archive_ext=.zip
fi

mkdir -p "$install_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        fail "neither sha256sum nor shasum is installed: cannot verify the download"
    fi
}

# download URL FILE: prints the HTTP status; the file is kept only on 200.
download() {
    local proto='=https'
    case $1 in http://127.0.0.1[:/]* | http://localhost[:/]*) proto='=http,https' ;; esac
    curl --silent --show-error --location --proto "$proto" --retry 3 --retry-delay 2 \
        --connect-timeout 20 --max-time 300 --output "$2" --write-out '%{http_code}' "$1" ||
        true
}

from_release() {
    local archive=$name-$target$archive_ext url status expected actual listed
    if [ -n "$tag" ]; then
        url=$base/$repo/releases/download/$tag/$archive
    else
        url=$base/$repo/releases/latest/download/$archive
    fi
    echo "downloading $url"
    status=$(download "$url" "$work/$archive")
    if [ "$status" = 404 ]; then
        echo "no release archive at $url"
        return 1
    fi
    [ "$status" = 200 ] || fail "download of $url failed (HTTP ${status:-no answer})"

    # cargo-dist publishes ARCHIVE.sha256: "<hex> *<archive name>".
    status=$(download "$url.sha256" "$work/$archive.sha256")
    [ "$status" = 200 ] ||
        fail "no checksum at $url.sha256 (HTTP ${status:-no answer}): refusing an unverified binary"
    read -r expected listed <"$work/$archive.sha256" || true
    expected=$(printf '%s' "$expected" | tr 'A-F' 'a-f')
    [[ $expected =~ ^[0-9a-f]{64}$ ]] || fail "$url.sha256 holds no SHA-256"
    listed=${listed#\*}
    if [ -n "$listed" ] && [ "$listed" != "$archive" ]; then
        fail "$url.sha256 is the checksum of \"$listed\", not of $archive"
    fi
    actual=$(sha256_of "$work/$archive")
    if [ "$actual" != "$expected" ]; then
        fail "SHA-256 mismatch for $archive: expected $expected, got $actual"
    fi
    echo "sha256 verified: $actual  $archive"

    mkdir -p "$work/unpacked"
    if [ "$archive_ext" = .zip ]; then
        # cargo-dist's zip archives are flat.
        if command -v unzip >/dev/null 2>&1; then
            unzip -q -o "$work/$archive" -d "$work/unpacked"
        else
            # shellcheck disable=SC2016 # $env: is PowerShell's, expanded by pwsh
            VD_ZIP=$(cygpath -w "$work/$archive") VD_DEST=$(cygpath -w "$work/unpacked") \
                pwsh -NoProfile -Command 'Expand-Archive -Force -LiteralPath $env:VD_ZIP -DestinationPath $env:VD_DEST'
        fi
        cp "$work/unpacked/$name$exe" "$install_dir/$name$exe"
    else
        # cargo-dist's tarballs hold one folder named after the archive.
        tar -xJf "$work/$archive" -C "$work/unpacked"
        cp "$work/unpacked/$name-$target/$name" "$install_dir/$name"
    fi
    chmod +x "$install_dir/$name$exe"
}

from_source() {
    command -v cargo >/dev/null 2>&1 ||
        fail "no release archive fits ($version on $os/$arch) and cargo is not installed to build one"
    local root=$work/cargo-root
    if [ "$version" = source ]; then
        [ -n "${VD_SOURCE_PATH:-}" ] || fail "version \"source\" needs VD_SOURCE_PATH"
        echo "building vapi-drift from $VD_SOURCE_PATH"
        cargo install --locked --path "$VD_SOURCE_PATH" --root "$root" --bin "$name"
    elif [ -n "$tag" ]; then
        echo "building vapi-drift $tag from $base/$repo"
        cargo install --locked --git "$base/$repo" --tag "$tag" --root "$root" --bin "$name" "$name"
    else
        echo "building vapi-drift from the default branch of $base/$repo"
        cargo install --locked --git "$base/$repo" --root "$root" --bin "$name" "$name"
    fi
    cp "$root/bin/$name$exe" "$install_dir/$name$exe"
}

if [ "$version" = source ]; then
    from_source
elif [ -z "$target" ]; then
    echo "no release archive is built for $os/$arch"
    from_source
elif ! from_release; then
    from_source
fi

installed=$("$install_dir/$name$exe" --version) || fail "the installed vapi-drift does not run"
echo "installed: $installed ($install_dir/$name$exe)"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        echo "version=$installed"
        echo "bin=$install_dir/$name$exe"
    } >>"$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$install_dir" >>"$GITHUB_PATH"
fi
