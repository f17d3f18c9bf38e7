//! A file written whole or not at all: reports and exported desired files; and a
//! set of files written all or none (export's), staged as they are made.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use tempfile::TempPath;

/// Writes a file whole or not at all: a temporary file beside it, then rename.
/// The file gets the mode any other tool's new file gets: 0666 less the umask
/// (0644 under the usual 022), not the temporary file's private 0600.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |w| w.write_all(bytes))
}

/// [`write_atomically`] what `write` writes, as it writes it (a report of 100,000
/// numbers is tens of megabytes: it is not held whole in memory). Nothing is
/// renamed into place if `write` fails.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    stage(path, write)?.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// What `write` writes, in a temporary file beside `path`, on the disk, closed:
/// renamed to `path` by `persist`, removed when dropped.
fn stage(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<TempPath> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".vapi-drift-").suffix(".tmp");
    // The mode is given to open(2), which applies the umask, as it does for any tool.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir)?;
    {
        let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, tmp.as_file_mut());
        write(&mut buffered)?;
        buffered.flush()?;
    }
    tmp.as_file().sync_all()?;
    // Closed: an org of 100,000 numbers would not fit in the open-file limit.
    Ok(tmp.into_temp_path())
}

/// A file that could not be written, and why.
pub type WriteError = (PathBuf, std::io::Error);

/// Files written all or none, without holding their texts: each is written to a
/// temporary file beside its target as it is handed over (by several threads, as
/// each waits for its file to reach the disk), and none is renamed into place
/// before every one was staged ([`Staging::finish`], then [`Staged::commit`]).
/// Dropped before that, it removes every file it staged.
pub struct Staging {
    sender: Option<mpsc::SyncSender<(usize, PathBuf, String)>>,
    workers: Vec<thread::JoinHandle<Writer>>,
    failed: Arc<AtomicBool>,
    handed: usize,
}

#[derive(Default)]
struct Writer {
    /// The order each was handed over in, its target, its temporary file.
    staged: Vec<(usize, PathBuf, TempPath)>,
    errors: Vec<(usize, WriteError)>,
}

/// Every file of a [`Staging`], staged: dropped without `commit`, they are removed.
pub struct Staged {
    files: Vec<(usize, PathBuf, TempPath)>,
}

impl Staging {
    /// Staging with `writers` threads.
    pub fn new(writers: usize) -> Staging {
        let writers = writers.max(1);
        let (sender, receiver) = mpsc::sync_channel::<(usize, PathBuf, String)>(writers * 2);
        let receiver = Arc::new(Mutex::new(receiver));
        let failed = Arc::new(AtomicBool::new(false));
        let workers = (0..writers)
            .map(|_| {
                let receiver = Arc::clone(&receiver);
                let failed = Arc::clone(&failed);
                thread::spawn(move || {
                    let mut w = Writer::default();
                    loop {
                        let next = receiver.lock().map(|r| r.recv());
                        let Ok(Ok((seq, path, text))) = next else {
                            break;
                        };
                        // Once one file failed, the others are not worth the disk.
                        if failed.load(Ordering::Relaxed) {
                            continue;
                        }
                        match stage(&path, |w| w.write_all(text.as_bytes())) {
                            Ok(tmp) => w.staged.push((seq, path, tmp)),
                            Err(e) => {
                                failed.store(true, Ordering::Relaxed);
                                w.errors.push((seq, (path, e)));
                            }
                        }
                    }
                    w
                })
            })
            .collect();
        Staging {
            sender: Some(sender),
            workers,
            failed,
            handed: 0,
        }
    }

    /// Hands a file over to be staged. An error says a file could not be staged
    /// (which one, and why, [`Staging::finish`] tells): nothing more is worth handing.
    pub fn add(&mut self, path: PathBuf, text: String) -> Result<(), String> {
        let sent = match &self.sender {
            Some(s) if !self.failed.load(Ordering::Relaxed) => {
                s.send((self.handed, path, text)).is_ok()
            }
            _ => false,
        };
        self.handed += 1;
        if sent {
            Ok(())
        } else {
            Err("a file could not be written".into())
        }
    }

    /// Waits for every file handed over: all staged, or the files that could not
    /// be (in the order they were handed over), and then none is kept.
    pub fn finish(mut self) -> Result<Staged, Vec<WriteError>> {
        let mut staged = Vec::new();
        let mut errors = Vec::new();
        for w in self.join() {
            staged.extend(w.staged);
            errors.extend(w.errors);
        }
        if errors.is_empty() {
            staged.sort_by_key(|(seq, _, _)| *seq);
            Ok(Staged { files: staged })
        } else {
            errors.sort_by_key(|(seq, _)| *seq);
            Err(errors.into_iter().map(|(_, e)| e).collect())
        }
    }

    fn join(&mut self) -> Vec<Writer> {
        self.sender = None;
        self.workers
            .drain(..)
            .map(|w| w.join().expect("a writer thread does not panic"))
            .collect()
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Their temporary files go with them.
        self.join();
    }
}

impl Staged {
    /// Renames every staged file into place, in the order they were handed over;
    /// the files that could not be.
    pub fn commit(self) -> Vec<WriteError> {
        self.files
            .into_iter()
            .filter_map(|(_, path, tmp)| tmp.persist(&path).err().map(|e| (path, e.error)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.json");
        write_atomically(&path, b"first").expect("write");
        write_atomically(&path, b"second").expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "second");
        let names: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(names.len(), 1);
        assert!(write_atomically(&dir.path().join("missing/r.json"), b"x").is_err());
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn staged_files_appear_only_on_commit_all_of_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("b.yaml"), "old").expect("write");
        let mut staging = Staging::new(3);
        for name in ["a.yaml", "b.yaml", "c.yaml", "d.yaml"] {
            staging
                .add(dir.path().join(name), format!("text of {name}"))
                .expect("add");
        }
        let staged = staging.finish().expect("staged");
        // Staged: beside their targets, none in place yet.
        let names = names_in(dir.path());
        assert_eq!(names.len(), 5, "{names:?}");
        assert!(names.contains(&"b.yaml".to_string()));
        assert!(!names.contains(&"a.yaml".to_string()));
        assert!(staged.commit().is_empty());
        assert_eq!(
            names_in(dir.path()),
            ["a.yaml", "b.yaml", "c.yaml", "d.yaml"]
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.yaml")).expect("read"),
            "text of b.yaml"
        );
    }

    #[test]
    fn one_file_that_cannot_be_staged_leaves_nothing_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut staging = Staging::new(2);
        staging
            .add(dir.path().join("a.yaml"), "a".into())
            .expect("add");
        // A folder that is not there: this one cannot be staged.
        let _ = staging.add(dir.path().join("missing/b.yaml"), "b".into());
        let _ = staging.add(dir.path().join("c.yaml"), "c".into());
        let errors = staging.finish().err().expect("an error");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, dir.path().join("missing/b.yaml"));
        assert!(
            names_in(dir.path()).is_empty(),
            "{:?}",
            names_in(dir.path())
        );
        // Dropped before it finishes: what it staged is removed too.
        let mut staging = Staging::new(2);
        staging
            .add(dir.path().join("a.yaml"), "a".into())
            .expect("add");
        drop(staging);
        assert!(names_in(dir.path()).is_empty());
        // Finished but not committed: removed as well.
        let mut staging = Staging::new(2);
        staging
            .add(dir.path().join("a.yaml"), "a".into())
            .expect("add");
        drop(staging.finish().expect("staged"));
        assert!(names_in(dir.path()).is_empty());
    }

    /// Regression (issue 12): reports and exported files were written 0600.
    #[cfg(unix)]
    #[test]
    fn a_written_file_has_the_mode_the_umask_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.json");
        write_atomically(&path, b"x").expect("write");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        // The umask of this process, as /proc tells it (Linux); else the usual 022.
        let umask = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Umask:"))
                    .and_then(|u| u32::from_str_radix(u.trim(), 8).ok())
            })
            .unwrap_or(0o022);
        assert_eq!(mode, 0o666 & !umask, "mode {mode:o}, umask {umask:o}");
        assert_ne!(mode, 0o600);
    }
}
