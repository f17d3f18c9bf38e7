//! Names the commit in `vapi-drift --version`: `vapi-drift 0.1.0 (abc1234 2026-12-01)`.
//!
//! Sets `VAPI_DRIFT_VERSION` for the crate. Where the commit comes from, first found wins:
//! 1. `VAPI_DRIFT_COMMIT` in the build environment, verbatim (a Docker build, whose
//!    context has no `.git`, passes it as a build argument);
//! 2. `git`, when the package root is the top of a git checkout (a clone, cargo-dist's
//!    release build, `cargo install --git`): the commit's short hash and its commit date,
//!    so two builds of one commit say the same thing;
//! 3. `.cargo_vcs_info.json`, which `cargo package` writes into a crates.io tarball: the
//!    short hash alone;
//! 4. nothing: the plain version. A missing `git`, a missing `.git`, a repository
//!    without commits or a package vendored inside someone else's repository all end
//!    here; the build never fails for want of a commit.
//!
//! Rerun only when the commit can have changed: HEAD, the branch HEAD points to (loose
//! or packed), the variable above. Never a path that does not exist: cargo reruns a
//! build script on every build for those.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=VAPI_DRIFT_COMMIT");

    let commit = match std::env::var("VAPI_DRIFT_COMMIT") {
        Ok(c) if !c.trim().is_empty() => Some(c.trim().to_string()),
        _ => match git_commit(&manifest_dir, "git") {
            Some(found) => {
                for path in &found.watch {
                    println!("cargo:rerun-if-changed={}", path.display());
                }
                Some(found.describe)
            }
            None => cargo_vcs_info(&manifest_dir),
        },
    };
    let full = match commit {
        Some(c) => format!("{version} ({c})"),
        None => version,
    };
    println!("cargo:rustc-env=VAPI_DRIFT_VERSION={full}");
}

/// The commit a git checkout is at, and the files whose change means it moved.
#[derive(Debug)]
pub struct GitCommit {
    /// `abc1234 2026-12-01`: the short hash and the commit date.
    pub describe: String,
    pub watch: Vec<PathBuf>,
}

/// `None` when `git` cannot be run, `dir` is not the top of a checkout, or it has no commit.
pub fn git_commit(dir: &Path, git: &str) -> Option<GitCommit> {
    let run = |args: &[&str]| -> Option<String> {
        let out = Command::new(git)
            .args(args)
            .current_dir(dir)
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
    };
    let top = PathBuf::from(run(&["rev-parse", "--show-toplevel"])?);
    // A package vendored inside another repository must not print that repository's commit.
    if std::fs::canonicalize(&top).ok()? != std::fs::canonicalize(dir).ok()? {
        return None;
    }
    let line = run(&["log", "-1", "--format=%H %cs"])?;
    let (hash, date) = line.split_once(' ')?;
    if hash.len() < 7 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }

    let absolute = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() { p } else { dir.join(p) }
    };
    let git_dir = absolute(run(&["rev-parse", "--git-dir"])?);
    let common_dir = absolute(run(&["rev-parse", "--git-common-dir"])?);
    let mut watch = vec![git_dir.join("HEAD")];
    // On a branch, a commit rewrites the branch's ref, not HEAD.
    if let Some(branch) = run(&["symbolic-ref", "-q", "HEAD"]) {
        let loose = common_dir.join(&branch);
        if loose.exists() {
            watch.push(loose);
        } else if let Some(parent) = loose.ancestors().skip(1).find(|p| p.exists()) {
            // The ref is packed: it becomes a loose file in this folder at the next commit.
            watch.push(parent.to_path_buf());
        }
        let packed = common_dir.join("packed-refs");
        if packed.exists() {
            watch.push(packed);
        }
    }
    watch.retain(|p| p.exists());
    Some(GitCommit {
        describe: format!("{} {date}", &hash[..7]),
        watch,
    })
}

/// The short hash from the `.cargo_vcs_info.json` of a crates.io tarball.
pub fn cargo_vcs_info(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let rest = &text[text.find("\"sha1\"")? + "\"sha1\"".len()..];
    let rest = rest
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let hash = rest.get(..40)?;
    hash.bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| hash[..7].to_string())
}
