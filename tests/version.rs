//! `vapi-drift --version` names the version and, built in a checkout, the commit;
//! built without git (a crates.io tarball, a Docker context without `.git`) it falls
//! back to the plain version instead of failing the build.

use std::path::Path;
use std::process::Command;

// The build script's own functions, tested where a build could not reach them.
#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn version_line() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vapi-drift"))
        .arg("--version")
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0), "--version exits 0");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim_end()
        .to_string()
}

#[test]
fn version_names_the_package_version_and_the_commit_of_this_checkout() {
    let line = version_line();
    let plain = format!("vapi-drift {}", env!("CARGO_PKG_VERSION"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let top = git(root, &["rev-parse", "--show-toplevel"]);
    let in_checkout =
        top.is_some_and(|t| std::fs::canonicalize(t).ok() == std::fs::canonicalize(root).ok());
    match git(root, &["log", "-1", "--format=%H %cs"]) {
        Some(head) if in_checkout && std::env::var_os("VAPI_DRIFT_COMMIT").is_none() => {
            let (hash, date) = head.split_once(' ').expect("hash and date");
            assert_eq!(line, format!("{plain} ({} {date})", &hash[..7]));
        }
        // Built from a tarball, or with the commit given by the environment.
        _ => assert!(line.starts_with(&plain), "{line}"),
    }
}

#[test]
fn short_version_flag_prints_the_same_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_vapi-drift"))
        .arg("-V")
        .output()
        .expect("binary runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        version_line()
    );
}

#[test]
fn no_commit_outside_a_git_checkout() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(build_script::git_commit(dir.path(), "git").is_none());
    assert!(build_script::cargo_vcs_info(dir.path()).is_none());
}

#[test]
fn no_commit_when_git_cannot_be_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(build_script::git_commit(root, "/nonexistent/git-is-not-installed").is_none());
}

#[test]
fn a_package_inside_someone_elses_repository_does_not_take_its_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    if git(dir.path(), &["init", "-q"]).is_none() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let pkg = dir.path().join("vendor").join("vapi-drift");
    std::fs::create_dir_all(&pkg).expect("mkdir");
    std::fs::write(pkg.join("Cargo.toml"), "").expect("write");
    let commit = [
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "-c",
        "commit.gpgsign=false",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "outer",
    ];
    git(dir.path(), &commit).expect("commit");
    assert!(build_script::git_commit(&pkg, "git").is_none());
    // At the top of that repository the commit is found, with files to watch.
    let found = build_script::git_commit(dir.path(), "git").expect("commit found");
    let head = git(dir.path(), &["log", "-1", "--format=%h"]).expect("head");
    assert!(found.describe.starts_with(&head[..7]), "{found:?}");
    assert!(found.watch.iter().all(|p| p.exists()), "{found:?}");
    assert!(found.watch.iter().any(|p| p.ends_with("HEAD")), "{found:?}");
}

#[test]
fn a_crates_io_tarball_names_its_commit_from_cargo_vcs_info() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".cargo_vcs_info.json"),
        "{\n  \"git\": {\n    \"sha1\": \"89d5f11a0b0c0d0e0f101112131415161718191a\"\n  },\n  \"path_in_vcs\": \"\"\n}\n",
    )
    .expect("write");
    assert_eq!(
        build_script::cargo_vcs_info(dir.path()).as_deref(),
        Some("89d5f11")
    );
}
