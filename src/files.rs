//! Which files under a named folder are desired files: the one rule both the working
//! tree (`desired`) and the files at a git revision (`deployed`, `--deployed-ref`) use,
//! so the two never disagree about what is declared (a file one side read and the other
//! did not would make every difference of its numbers look pending).
//!
//! The rule: an entry whose name starts with `.` is skipped, with everything below it;
//! a file counts when its name ends in `.yaml` or `.yml`, in any letter case (`N0.YAML`
//! is as much a YAML file to the user as `n0.yaml`). A path named on the command line
//! counts whatever its name.
//!
//! A leaf: names only, no file system.

/// Whether an entry (file or folder) is hidden, and skipped with all it holds.
pub fn is_hidden(name: &str) -> bool {
    name.starts_with('.')
}

/// Whether a file of this name, found under a named folder, is a desired file
/// (`*.yaml`/`*.yml`, any letter case; hidden files are not).
pub fn is_desired_file(name: &str) -> bool {
    if is_hidden(name) {
        return false;
    }
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    !stem.is_empty() && (ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"))
}

/// Whether a file at `below` (`/`-separated, relative to a named folder) counts:
/// no hidden entry on the way, and a desired file's name.
pub fn counts_below(below: &str) -> bool {
    let mut parts = below.split('/').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            return is_desired_file(part);
        }
        if is_hidden(part) {
            return false;
        }
    }
    false
}

/// Whether an entry at `below` lies under a hidden folder or is hidden itself.
pub fn hidden_below(below: &str) -> bool {
    below.split('/').any(is_hidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_in_any_case_outside_hidden_folders() {
        for yes in ["n0.yaml", "n0.YAML", "a/b.Yml", "x.yml"] {
            assert!(counts_below(yes), "{yes}");
        }
        for no in [
            ".x.yaml",
            ".git/x.yaml",
            "a/.h/x.yaml",
            "x.json",
            "yaml",
            "x.yaml.bak",
        ] {
            assert!(!counts_below(no), "{no}");
        }
        assert!(hidden_below("a/.b/c"));
        assert!(!hidden_below("a/b/c.yaml"));
    }
}
