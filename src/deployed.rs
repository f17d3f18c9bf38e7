//! The desired files as last deployed (`--deployed-ref REF`): read from git, loaded
//! like the working tree's, and matched to the desired numbers, so the audit can tell
//! a change made live behind git's back (`OUT_OF_BAND`) from one waiting for the
//! deploy (`PENDING`) and from both at once (`CONFLICT`).
//!
//! Owns: reading the files at a revision through the `git` command (`rev-parse`,
//! `ls-tree`, `cat-file --batch`, all with `-C` the repository top and paths relative
//! to it), which files count (the same rule as the working tree: the named files,
//! and `*.yaml`/`*.yml` under the named folders, hidden entries skipped), matching a
//! deployed number to a desired one (by `id`, else by its number or sipUri when one
//! of the two documents has no `id`), and the numbers the deployed files declare that
//! the desired files no longer do (the deploy deletes them).
//!
//! Why the `git` command and not gix: it is on every CI runner and every machine that
//! has the repository, it reads every repository layout git itself writes (worktrees,
//! packed refs, partial and shallow clones, alternates) exactly as git does, and three
//! plumbing commands do the job; gix would add a large dependency tree (and its
//! compile time) for what is here a few hundred milliseconds of process start-up.
//!
//! Does not own: parsing and validating the documents (`desired`, the same loader as
//! the working tree, with the same environment for `${VAR}`), the comparison of the
//! three documents (`audit`), what a cause does to the exit code (`exit`).

use crate::desired::{self, ConfigError, ConfigErrors, DesiredNumber, IdRule, UnsetVars};
use crate::lookup::{self, LookupKey};
use crate::model::{Audit, DeployedRef, RemovedNumber, UnmanagedNumber};
use crate::normalize::comparable_number;
use crate::select::Selectors;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The deployed desired numbers, indexed for matching.
#[derive(Debug)]
pub struct Deployed {
    /// The revision as the user named it.
    pub reference: String,
    /// The commit it names (full hex).
    pub commit: String,
    pub numbers: Vec<DesiredNumber>,
    by_id: HashMap<String, usize>,
    by_key: HashMap<LookupKey, usize>,
}

/// Why the deployed files could not be read.
#[derive(Debug)]
pub enum LoadError {
    /// git could not give them (not a repository, no such revision, git missing).
    Git(String),
    /// They are invalid at the revision (each error names `REF:file:line:column`).
    Invalid(ConfigErrors),
}

type Env = dyn Fn(&str) -> Option<String> + Sync;

/// Reads and loads the desired files under `paths` (as named on the command line,
/// relative to the working folder) at `reference` in the git repository that holds
/// the working folder.
pub fn load(reference: &str, paths: &[PathBuf], env: &Env) -> Result<Deployed, LoadError> {
    if reference.is_empty() || reference.starts_with('-') {
        return Err(LoadError::Git(format!(
            "--deployed-ref \"{reference}\" is not a git revision"
        )));
    }
    let here = std::env::current_dir()
        .map_err(|e| LoadError::Git(format!("cannot read the working folder: {e}")))?;
    let top = git(&here, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        LoadError::Git(format!(
            "--deployed-ref {reference}: the working folder {} is not in a git repository ({e})",
            here.display()
        ))
    })?;
    let top = PathBuf::from(String::from_utf8_lossy(&top).trim_end_matches('\n'));
    let commit = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        LoadError::Git(format!(
            "--deployed-ref {reference}: no such commit in the git repository at {} (a shallow clone has no tags: fetch it, e.g. `git fetch origin tag {reference}`, or check out with fetch-depth: 0)",
            top.display()
        ))
    })?;
    let commit = String::from_utf8_lossy(&commit).trim().to_string();
    let files = files_at(reference, &commit, &top, paths)?;
    let texts = read_blobs(reference, &top, &files)?;
    let mut numbers = desired::load_texts(&texts, env, IdRule::Optional, UnsetVars::Error)
        .and_then(|numbers| {
            let errors = lookup::lookup_errors(&numbers);
            if errors.is_empty() {
                Ok(numbers)
            } else {
                Err(ConfigErrors(errors))
            }
        })
        .map_err(|ConfigErrors(errors)| {
            // The files are named as in the working tree (so selectors match them the
            // same way); an error says at which revision.
            LoadError::Invalid(ConfigErrors(
                errors
                    .into_iter()
                    .map(|e| ConfigError {
                        file: format!("{reference}:{}", e.file),
                        ..e
                    })
                    .collect(),
            ))
        })?;
    numbers.shrink_to_fit();
    Ok(Deployed::new(reference.to_string(), commit, numbers))
}

/// Runs git in `dir`; its stdout, or what it said on stderr.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .arg("--literal-pathspecs")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(if err.is_empty() {
            format!("git {} failed ({})", args.join(" "), out.status)
        } else {
            err
        })
    }
}

/// One file at the revision: its blob, and its name as the working tree names it.
struct AtRef {
    blob: String,
    name: String,
}

/// The files that count under `paths` at the commit.
fn files_at(
    reference: &str,
    commit: &str,
    top: &Path,
    paths: &[PathBuf],
) -> Result<Vec<AtRef>, LoadError> {
    let top_real = std::fs::canonicalize(top)
        .map_err(|e| LoadError::Git(format!("cannot read {}: {e}", top.display())))?;
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        let real = std::fs::canonicalize(path)
            .map_err(|e| LoadError::Git(format!("cannot read {}: {e}", path.display())))?;
        let rel = real.strip_prefix(&top_real).map_err(|_| {
            LoadError::Git(format!(
                "--deployed-ref {reference}: {} is outside the git repository at {}",
                path.display(),
                top.display()
            ))
        })?;
        let rel = rel
            .to_str()
            .ok_or_else(|| LoadError::Git(format!("{}: the path is not UTF-8", path.display())))?;
        let rel = rel.replace('\\', "/");
        let spec = if rel.is_empty() { "." } else { rel.as_str() };
        let listed = git(
            top,
            &["ls-tree", "-r", "-z", "--full-tree", commit, "--", spec],
        )
        .map_err(|e| LoadError::Git(format!("--deployed-ref {reference}: {e}")))?;
        for entry in listed.split(|b| *b == 0).filter(|e| !e.is_empty()) {
            let entry = String::from_utf8_lossy(entry);
            let Some((meta, file)) = entry.split_once('\t') else {
                continue;
            };
            let mut meta = meta.split(' ');
            let (mode, kind, blob) = (meta.next(), meta.next(), meta.next());
            let (Some(mode), Some("blob"), Some(blob)) = (mode, kind, blob) else {
                continue; // a submodule: no file of ours
            };
            // The part below the named path; empty when the path is this file.
            let below = if rel.is_empty() {
                file
            } else if file == rel {
                ""
            } else {
                match file.strip_prefix(&format!("{rel}/")) {
                    Some(b) => b,
                    None => continue,
                }
            };
            if !below.is_empty() {
                let hidden = below.split('/').any(|c| c.starts_with('.'));
                let yaml = below.ends_with(".yaml") || below.ends_with(".yml");
                if hidden || !yaml {
                    continue;
                }
            }
            let name = if below.is_empty() {
                path.display().to_string()
            } else {
                path.join(below).display().to_string()
            };
            if mode == "120000" {
                return Err(LoadError::Invalid(ConfigErrors(vec![ConfigError {
                    file: format!("{reference}:{name}"),
                    pos: None,
                    message: "a symbolic link in git: --deployed-ref reads only files".into(),
                }])));
            }
            if seen.insert(file.to_string()) {
                files.push(AtRef {
                    blob: blob.to_string(),
                    name,
                });
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// The text of each file, read in one `git cat-file --batch`.
fn read_blobs(
    reference: &str,
    top: &Path,
    files: &[AtRef],
) -> Result<Vec<(String, String)>, LoadError> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let failed = |e: String| LoadError::Git(format!("--deployed-ref {reference}: {e}"));
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot run git: {e}")))?;
    let mut stdin = child.stdin.take().expect("stdin was piped");
    let request: String = files.iter().map(|f| format!("{}\n", f.blob)).collect();
    // Written from a thread of its own: git answers while it reads, and a full pipe
    // on either side would otherwise stop both.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut out = Vec::new();
    let read = child
        .stdout
        .take()
        .expect("stdout was piped")
        .read_to_end(&mut out);
    let written = writer
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let status = child.wait().map_err(|e| failed(e.to_string()))?;
    read.map_err(|e| failed(format!("reading from git cat-file: {e}")))?;
    written.map_err(|e| failed(format!("writing to git cat-file: {e}")))?;
    if !status.success() {
        return Err(failed(format!("git cat-file --batch failed ({status})")));
    }
    let mut texts = Vec::with_capacity(files.len());
    let mut rest = out.as_slice();
    let mut errors = Vec::new();
    for f in files {
        let (header, after) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => return Err(failed("git cat-file ended early".into())),
        };
        let header = String::from_utf8_lossy(header);
        let size: usize = match header.split(' ').collect::<Vec<_>>().as_slice() {
            [_, "blob", size] => size
                .parse()
                .map_err(|_| failed(format!("git cat-file said \"{header}\"")))?,
            _ => return Err(failed(format!("git cat-file said \"{header}\""))),
        };
        if after.len() < size + 1 {
            return Err(failed("git cat-file ended early".into()));
        }
        let (body, after) = after.split_at(size);
        rest = &after[1..];
        match String::from_utf8(body.to_vec()) {
            Ok(text) => texts.push((f.name.clone(), text)),
            Err(_) => errors.push(ConfigError {
                file: format!("{reference}:{}", f.name),
                pos: None,
                message: "cannot read: stream did not contain valid UTF-8".into(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(texts)
    } else {
        Err(LoadError::Invalid(ConfigErrors(errors)))
    }
}

impl Deployed {
    pub fn new(reference: String, commit: String, numbers: Vec<DesiredNumber>) -> Deployed {
        let mut by_id = HashMap::new();
        let mut by_key = HashMap::new();
        for (i, n) in numbers.iter().enumerate() {
            if let Some(id) = &n.id {
                // A UUID is case-insensitive (RFC 9562), as normalization compares ids.
                by_id.entry(id.to_ascii_lowercase()).or_insert(i);
            }
            if let Some(key) = lookup::key(n) {
                by_key.entry(key).or_insert(i);
            }
        }
        Deployed {
            reference,
            commit,
            numbers,
            by_id,
            by_key,
        }
    }

    /// The deployed document of a desired number: the one with its `id`, else the
    /// one with its number (or sipUri) when one of the two has no `id` of its own
    /// (an `id` added or removed since the deploy). `None`: the deploy did not have it.
    pub fn find(&self, d: &DesiredNumber) -> Option<&DesiredNumber> {
        self.find_index(d).map(|i| &self.numbers[i])
    }

    fn find_index(&self, d: &DesiredNumber) -> Option<usize> {
        if let Some(i) =
            d.id.as_deref()
                .and_then(|id| self.by_id.get(&id.to_ascii_lowercase()))
        {
            return Some(*i);
        }
        let explicit = d.doc.value().get("id").is_some();
        let i = *self.by_key.get(&lookup::key(d)?)?;
        (!explicit || self.numbers[i].id.is_none()).then_some(i)
    }

    /// The deployed numbers no desired number matches, among those the selectors pick:
    /// the deploy deletes them.
    pub fn removed(&self, desired: &[DesiredNumber], selectors: &Selectors) -> Vec<RemovedNumber> {
        let kept: HashSet<usize> = desired.iter().filter_map(|d| self.find_index(d)).collect();
        self.numbers
            .iter()
            .enumerate()
            .filter(|(i, n)| !kept.contains(i) && selectors.selects_desired(n))
            .map(|(_, n)| RemovedNumber {
                id: n.id.clone(),
                name: n.name.clone(),
                number: n.number.clone(),
                file: format!("{}:{}", self.reference, n.file),
                line: n.line,
            })
            .collect()
    }

    /// Whether the deployed files declare this live number (by id, or by number for
    /// a deployed document without an id).
    fn describes(&self, live: &UnmanagedNumber) -> bool {
        if self.by_id.contains_key(&live.id.to_ascii_lowercase()) {
            return true;
        }
        live.number.as_deref().is_some_and(|n| {
            self.by_key
                .get(&LookupKey::Number(comparable_number(n, true)))
                .is_some_and(|&i| self.numbers[i].id.is_none())
        })
    }

    /// Sets what the three-way comparison adds to an audit once it ran: the deployed
    /// revision, the numbers the deploy deletes, and the cause of each unmanaged number
    /// (the deploy deletes it: `PENDING`; it was never deployed: `OUT_OF_BAND`).
    pub fn annotate(&self, audit: &mut Audit, removed: Vec<RemovedNumber>) {
        for n in &mut audit.unmanaged.numbers {
            n.cause = Some(if self.describes(n) {
                crate::finding::Cause::Pending
            } else {
                crate::finding::Cause::OutOfBand
            });
        }
        audit.deployed = Some(DeployedRef {
            reference: self.reference.clone(),
            commit: self.commit.clone(),
            removed,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::valid_numbers;

    fn numbers(yaml: &str) -> Vec<DesiredNumber> {
        valid_numbers("d.yaml", yaml, &|_| None, IdRule::Optional)
    }

    #[test]
    fn matched_by_id_else_by_number_when_one_side_has_no_id() {
        let deployed = Deployed::new(
            "r".into(),
            "c".into(),
            numbers(
                "id: a\nprovider: vapi\nname: A\n---\nprovider: vonage\nnumber: \"+14155550100\"\ncredentialId: c\n---\nid: x\nprovider: vonage\nnumber: \"+14155550199\"\ncredentialId: c\n",
            ),
        );
        let desired = numbers(
            "id: a\nprovider: vapi\nname: A2\n---\nid: b\nprovider: vonage\nnumber: \"+1 415 555 0100\"\ncredentialId: c\n---\nid: y\nprovider: vonage\nnumber: \"+14155550199\"\ncredentialId: c\n",
        );
        assert_eq!(
            deployed.find(&desired[0]).map(|n| n.line),
            Some(1),
            "same id"
        );
        assert_eq!(
            deployed.find(&desired[1]).map(|n| n.name.is_none()),
            Some(true),
            "the deployed document had no id: found by its number"
        );
        assert!(
            deployed.find(&desired[2]).is_none(),
            "both have ids, and they differ: another number"
        );
        let removed = deployed.removed(&desired, &Selectors::default());
        assert_eq!(
            removed.iter().map(|r| r.id.as_deref()).collect::<Vec<_>>(),
            vec![Some("x")]
        );
        assert!(removed[0].file.starts_with("r:d.yaml"), "{:?}", removed[0]);
    }
}
