//! The desired files as last deployed (`--deployed-ref REF`): read from git, loaded
//! like the working tree's, and matched to the desired numbers, so the audit can tell
//! a change made live behind git's back (`OUT_OF_BAND`) from one waiting for the
//! deploy (`PENDING`) and from both at once (`CONFLICT`).
//!
//! Owns: reading the files at a revision through the `git` command (`rev-parse`,
//! `ls-tree`, `cat-file --batch`, all with `-C` the repository top and paths relative
//! to it), refusing a symbolic link the working tree would follow, matching a
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
//! Does not own: which file names count (`files`, the working tree's rule: the named
//! files, and `*.yaml`/`*.yml` in any case under the named folders, hidden entries
//! skipped), parsing and validating the documents (`desired`, the same loader as
//! the working tree, with the same environment for `${VAR}`), the comparison of the
//! three documents (`audit`), what a cause does to the exit code (`exit`).

use crate::declared::{self, Declarations};
use crate::desired::{self, ConfigError, ConfigErrors, DesiredNumber, IdRule, UnsetVars};
use crate::lookup::{self, LookupKey};
use crate::model::{Audit, DeployedRef, RemovedNumber, UnmanagedNumber};
use crate::pointer::Pointer;
use crate::select::Selectors;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

/// The deployed desired numbers, indexed for matching.
#[derive(Debug)]
pub struct Deployed {
    /// The revision as the user named it.
    pub reference: String,
    /// The commit it names (full hex).
    pub commit: String,
    pub numbers: Vec<DesiredNumber>,
    by_id: HashMap<Box<str>, usize>,
    by_key: HashMap<LookupKey, usize>,
    /// The `${VAR}` declarations of each deployed number, by its index.
    declared: Vec<Declarations>,
    /// The `${VAR}` declarations of the working tree's documents, by (file, line).
    working: HashMap<(Arc<str>, u32), Declarations>,
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
        .and_then(lookup::findable)
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
    let mut at_ref: HashMap<&str, HashMap<u32, Declarations>> = texts
        .iter()
        .map(|(name, text)| (name.as_str(), declared::of_text(text)))
        .collect();
    let declared = numbers
        .iter()
        .map(|n| {
            at_ref
                .get_mut(&*n.file)
                .and_then(|d| d.remove(&n.line))
                .unwrap_or_default()
        })
        .collect();
    let mut deployed = Deployed::new(reference.to_string(), commit, numbers);
    deployed.declared = declared;
    deployed.working = working_declarations(paths);
    Ok(deployed)
}

/// The `${VAR}` declarations of the working tree's desired files, by (file, line) as
/// the loader names them. A file that cannot be read has none (the loader says why).
fn working_declarations(paths: &[PathBuf]) -> HashMap<(Arc<str>, u32), Declarations> {
    let mut out = HashMap::new();
    for file in desired::find_files(paths, &mut Vec::new()) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let name: Arc<str> = file.display().to_string().into();
        for (line, d) in declared::of_text(&text) {
            out.insert((Arc::clone(&name), line), d);
        }
    }
    out
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
        let before = files.len();
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
            // Which names count is the working tree's rule (`files`), in one place.
            if !below.is_empty() && crate::files::hidden_below(below) {
                continue;
            }
            let name = if below.is_empty() {
                path.display().to_string()
            } else {
                path.join(below).display().to_string()
            };
            if mode == "120000" {
                // The working tree follows a symbolic link (to a folder, or to a file
                // named as a desired file); git holds only the link. Skipping it would
                // leave its numbers undeployed, every difference of theirs "pending".
                if below.is_empty()
                    || crate::files::counts_below(below)
                    || link_leaves_files(top, commit, file, blob)
                {
                    return Err(LoadError::Invalid(ConfigErrors(vec![ConfigError {
                        file: format!("{reference}:{name}"),
                        pos: None,
                        message: "a symbolic link in git, which the working tree follows: --deployed-ref cannot read what it pointed to at the revision; commit the files themselves, or name the link's target on the command line".into(),
                    }])));
                }
                continue; // a link to a file that is not a desired file: the working tree skips it too
            }
            if !below.is_empty() && !crate::files::counts_below(below) {
                continue;
            }
            if seen.insert(file.to_string()) {
                files.push(AtRef {
                    blob: blob.to_string(),
                    name,
                });
            }
        }
        // A path with desired files now and none at the revision: a folder renamed
        // since, a typo in the ref, or a ref from before the files. Its numbers have no
        // deployed document, so nothing could tell a live change from a pending one.
        if files.len() == before
            && !desired::find_files(std::slice::from_ref(path), &mut Vec::new()).is_empty()
        {
            return Err(LoadError::Git(format!(
                "--deployed-ref {reference}: {} has no desired files at {reference} ({commit:.12}), and has some in the working tree; name the revision that was deployed (the first deploy of these files has none: gate it without --deployed-ref)",
                path.display()
            )));
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// Whether the symbolic link `file` (its target in blob `blob`) may lead the working
/// tree to desired files: it points at a folder at the commit, or out of the
/// repository (where the commit says nothing), or cannot be read.
fn link_leaves_files(top: &Path, commit: &str, file: &str, blob: &str) -> bool {
    let Ok(target) = git(top, &["cat-file", "blob", blob]) else {
        return true;
    };
    let target = String::from_utf8_lossy(&target).into_owned();
    if target.starts_with('/') {
        return true;
    }
    let mut parts: Vec<&str> = file.split('/').collect();
    parts.pop();
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return true; // out of the repository
                }
            }
            s => parts.push(s),
        }
    }
    let at = format!("{commit}:{}", parts.join("/"));
    match git(top, &["cat-file", "-t", &at]) {
        Ok(kind) => String::from_utf8_lossy(&kind).trim() != "blob",
        Err(_) => false, // dangling at the commit: the working tree finds nothing there either
    }
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
                // Held by the loader's one rule (`desired::canonical_id`).
                by_id.entry(id.clone()).or_insert(i);
            }
            if let Some(key) = lookup::key(n) {
                by_key.entry(key).or_insert(i);
            }
        }
        Deployed {
            reference,
            commit,
            declared: vec![Declarations::new(); numbers.len()],
            numbers,
            by_id,
            by_key,
            working: HashMap::new(),
        }
    }

    /// The paths (as written) where the desired number and its deployed document
    /// declare the value through `${VAR}` with the same text: the declaration did not
    /// change in git, and the value the variable held at the deploy is not known.
    pub fn same_declarations(&self, d: &DesiredNumber) -> Vec<Pointer> {
        let (Some(i), Some(now)) = (
            self.find_index(d),
            self.working.get(&(Arc::clone(&d.file), d.line)),
        ) else {
            return Vec::new();
        };
        let mut same: Vec<Pointer> = self.declared[i]
            .iter()
            .filter(|(path, text)| now.get(*path) == Some(*text))
            .map(|(path, _)| path.clone())
            .collect();
        same.sort();
        same
    }

    /// The deployed document of a desired number: the one with its `id`, else the
    /// one with its number (or sipUri) when one of the two has no `id` of its own
    /// (an `id` added or removed since the deploy). `None`: the deploy did not have it.
    pub fn find(&self, d: &DesiredNumber) -> Option<&DesiredNumber> {
        self.find_index(d).map(|i| &self.numbers[i])
    }

    fn find_index(&self, d: &DesiredNumber) -> Option<usize> {
        if let Some(i) = d.id.as_deref().and_then(|id| self.by_id.get(id)) {
            return Some(*i);
        }
        let i = *self.by_key.get(&lookup::key(d)?)?;
        (!d.declares_id || self.numbers[i].id.is_none()).then_some(i)
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
                id: n.id.as_deref().map(str::to_string),
                name: n.name.as_deref().map(str::to_string),
                number: n.number.as_deref().map(str::to_string),
                file: format!("{}:{}", self.reference, n.file),
                line: n.line,
            })
            .collect()
    }

    /// Whether the deployed files declare this live number: by id (the loader's rule,
    /// `desired::canonical_id`), or, for a deployed document without an id, by what a
    /// desired document finds a live number by (`lookup`: its number, or its sipUri).
    fn describes(&self, live: &UnmanagedNumber) -> bool {
        if self
            .by_id
            .contains_key(desired::canonical_id(&live.id).as_str())
        {
            return true;
        }
        live.keys.iter().any(|key| {
            self.by_key
                .get(key)
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
