//! Selectors: which numbers a glob picks. One matcher serves `--only`,
//! `--exclude`, `--allow-unmanaged`, the ignore file's `unmanaged:` list and its
//! rules' `numbers:` globs, for `check`, `explain` and `export` alike.
//!
//! A glob is tried against a number's number (as written and in E.164), its name
//! and its id, case-insensitively, `*` crossing `/`; and, for a desired number,
//! against its source file (`*` within one folder, `**` across them).

use crate::desired::DesiredNumber;
use crate::normalize::e164;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::Value;
use std::path::Path;

/// A glob over a number's number, name or id: `*` crosses `/`, case-insensitive.
fn value_glob(text: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(text)
        .literal_separator(false)
        .case_insensitive(true)
        .build()
}

/// A glob over a source file path: `*` stays within one folder, `**` crosses them.
fn path_glob(text: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(text).literal_separator(true).build()
}

/// For clap: a selector or allow glob that does not compile is a usage error.
pub fn parse_glob(text: &str) -> Result<String, String> {
    value_glob(text)
        .and_then(|_| path_glob(text))
        .map(|_| text.to_string())
        .map_err(|e| format!("invalid glob \"{text}\": {}", e.kind()))
}

/// A list of globs, each tried against values (number, name, id) and file paths.
#[derive(Debug, Clone)]
pub struct Globs {
    texts: Vec<String>,
    values: GlobSet,
    paths: GlobSet,
}

impl Default for Globs {
    fn default() -> Self {
        Globs {
            texts: Vec::new(),
            values: GlobSet::empty(),
            paths: GlobSet::empty(),
        }
    }
}

impl Globs {
    pub fn new(texts: &[String]) -> Result<Globs, globset::Error> {
        let mut values = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        for text in texts {
            values.add(value_glob(text)?);
            paths.add(path_glob(text)?);
        }
        Ok(Globs {
            texts: texts.to_vec(),
            values: values.build()?,
            paths: paths.build()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// A desired number by its number (as written and in E.164), name or id: what
    /// the ignore file's `numbers:` globs match.
    pub fn matches_desired(&self, d: &DesiredNumber) -> bool {
        self.matches_values(&desired_values(d))
    }

    fn matches_values<S: AsRef<str>>(&self, values: &[S]) -> bool {
        values.iter().any(|v| self.values.is_match(v.as_ref()))
    }

    /// The path as the user named it, or its file name alone.
    fn matches_file(&self, file: &str) -> bool {
        self.paths.is_match(file)
            || Path::new(file)
                .file_name()
                .is_some_and(|name| self.paths.is_match(name))
    }
}

/// What a glob is matched against for a live number: its number (as written and
/// in E.164), its name and its id.
fn live_values(live: &Value) -> Vec<String> {
    let text = |k: &str| live.get(k).and_then(Value::as_str).map(str::to_string);
    let mut out: Vec<String> = [text("number"), text("name"), text("id")]
        .into_iter()
        .flatten()
        .collect();
    if let Some(n) = text("number").and_then(|n| e164(&n)) {
        out.push(n);
    }
    out
}

fn desired_values(d: &DesiredNumber) -> Vec<String> {
    let mut out: Vec<String> = [&d.number, &d.name, &d.id]
        .into_iter()
        .flatten()
        .map(|s| s.to_string())
        .collect();
    if let Some(n) = d.number.as_deref().and_then(e164) {
        out.push(n);
    }
    out
}

/// `--only` and `--exclude`: which numbers are in scope. A number is in scope when
/// it matches some `--only` glob (or there is none) and no `--exclude` glob.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    only: Globs,
    exclude: Globs,
}

impl Selectors {
    pub fn new(only: &[String], exclude: &[String]) -> Result<Selectors, globset::Error> {
        Ok(Selectors {
            only: Globs::new(only)?,
            exclude: Globs::new(exclude)?,
        })
    }

    /// Whether every number is in scope (no `--only`, no `--exclude`).
    pub fn is_everything(&self) -> bool {
        self.only.is_empty() && self.exclude.is_empty()
    }

    /// A desired number: by number, name, id, or source file (the path or its file name).
    pub fn selects_desired(&self, d: &DesiredNumber) -> bool {
        let values = desired_values(d);
        let hit = |g: &Globs| g.matches_values(&values) || g.matches_file(&d.file);
        (self.only.is_empty() || hit(&self.only)) && !hit(&self.exclude)
    }

    /// A live number: by number, name or id.
    pub fn selects_live(&self, live: &Value) -> bool {
        let values = live_values(live);
        (self.only.is_empty() || self.only.matches_values(&values))
            && !self.exclude.matches_values(&values)
    }
}

/// Live numbers that may be unmanaged: globs over number, name or id. The ignore
/// file's `unmanaged:` list is what fills it.
#[derive(Debug, Clone, Default)]
pub struct UnmanagedAllow(Globs);

impl UnmanagedAllow {
    pub fn new(globs: &[String]) -> Result<UnmanagedAllow, globset::Error> {
        Ok(UnmanagedAllow(Globs::new(globs)?))
    }

    pub fn allows(&self, live: &Value) -> bool {
        self.0.matches_values(&live_values(live))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{IdRule, valid_numbers};
    use serde_json::json;

    fn desired(file: &str, yaml: &str) -> Vec<DesiredNumber> {
        valid_numbers(file, yaml, &|_| None, IdRule::Optional)
    }

    fn globs(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn selectors_match_number_name_id_and_file() {
        let d = desired(
            "desired/us/support.yaml",
            "id: 2b9d-aaaa\nprovider: vonage\nname: Support line\nnumber: \"+1 (650) 555-0142\"\ncredentialId: c\n",
        )
        .remove(0);
        let sel = |only: &[&str], exclude: &[&str]| {
            Selectors::new(&globs(only), &globs(exclude))
                .expect("globs")
                .selects_desired(&d)
        };
        assert!(sel(&[], &[]));
        assert!(sel(&["+1650*"], &[]), "E.164 form");
        assert!(sel(&["+1 (650)*"], &[]), "as written");
        assert!(sel(&["support*"], &[]), "name, case-insensitive");
        assert!(sel(&["2b9d-*"], &[]), "id");
        assert!(sel(&["support.yaml"], &[]), "file name");
        assert!(sel(&["desired/**/*.yaml"], &[]), "path");
        assert!(!sel(&["desired/*.yaml"], &[]), "* stays within a folder");
        assert!(!sel(&["+44*"], &[]));
        assert!(!sel(&[], &["Support*"]));
        assert!(!sel(&["+1*"], &["desired/us/*"]));
    }

    #[test]
    fn live_selectors_and_the_allow_list_use_number_name_and_id() {
        let live = json!({"id": "abc-1", "provider": "twilio", "number": "+12125550100", "name": "Lab/Test"});
        let sel = Selectors::new(&globs(&["Lab*"]), &[]).expect("globs");
        assert!(sel.selects_live(&live), "* crosses / in names");
        let sel = Selectors::new(&[], &globs(&["+1212*"])).expect("globs");
        assert!(!sel.selects_live(&live));
        assert!(
            UnmanagedAllow::new(&globs(&["+1212*"]))
                .expect("g")
                .allows(&live)
        );
        assert!(
            UnmanagedAllow::new(&globs(&["ABC-*"]))
                .expect("g")
                .allows(&live)
        );
        assert!(
            !UnmanagedAllow::new(&globs(&["+1415*"]))
                .expect("g")
                .allows(&live)
        );
        assert!(!UnmanagedAllow::default().allows(&live));
        assert!(parse_glob("[unclosed").is_err());
    }
}
