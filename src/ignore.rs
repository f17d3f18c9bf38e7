//! Ignore rules: the differences a team has decided not to care about, each with a
//! reason and, optionally, an expiry date.
//!
//! Owns: loading and validating the ignore file (`--ignore-file`, default
//! `.vapi-drift-ignore.yaml` when present), matching a rule against a desired number
//! (globs over number, name, id) and a difference path (JSON Pointer globs: `*` is
//! one segment or part of one, `**` any depth), expiry, the rule that you cannot
//! both declare a value and ignore it, and which rules were used in a run.
//!
//! Does not own: YAML parsing (see `yaml`), what a difference is (see `diff`).

use crate::desired::{ConfigError, ConfigErrors, DesiredNumber};
use crate::pointer::Pointer;
use crate::schema::suggest;
use crate::select::{Globs, parse_glob};
use crate::yaml::{self, Node, NodeKind, Pos};
use globset::{GlobBuilder, GlobMatcher};
use std::path::Path;

/// The default ignore file, read from the working folder when it exists.
pub const DEFAULT_FILE: &str = ".vapi-drift-ignore.yaml";

#[derive(Debug, Clone)]
pub struct Rule {
    /// `file:line` of the rule, how reports name it.
    pub id: String,
    pub reason: String,
    /// `YYYY-MM-DD`; the rule suppresses through that day.
    pub expires: Option<String>,
    /// The one selector matcher (see `select`): number as written and in E.164,
    /// name and id, case-insensitive.
    numbers: Globs,
    paths: Vec<PathPattern>,
    /// Whether the rule is past its expiry date today.
    pub expired: bool,
}

#[derive(Debug, Clone)]
struct PathPattern {
    text: String,
    glob: GlobMatcher,
    /// `/a/**` also matches `/a` itself.
    also_parent: Option<GlobMatcher>,
}

/// The rules of one ignore file (empty when there is none).
#[derive(Debug, Clone, Default)]
pub struct IgnoreSet {
    pub file: Option<String>,
    pub rules: Vec<Rule>,
    /// Globs over number, name or id of live numbers that may be unmanaged.
    pub unmanaged: Vec<String>,
    /// Header names whose values are secrets, beyond the built-in rule (see `secret`).
    pub secret_headers: Vec<String>,
}

/// A difference a rule suppressed.
#[derive(Debug, Clone, PartialEq)]
pub struct Ignored {
    pub path: Pointer,
    pub rule: String,
    pub reason: String,
}

impl Rule {
    /// What every report says of a rule past its expiry date.
    pub fn expired_warning(&self) -> String {
        format!(
            "ignore rule {} expired on {} and no longer suppresses anything ({})",
            self.id,
            self.expires.as_deref().unwrap_or("?"),
            self.reason
        )
    }

    /// What every report says of a rule that suppressed nothing in the run.
    pub fn unused_warning(&self) -> String {
        format!(
            "ignore rule {} matched nothing in this run ({})",
            self.id, self.reason
        )
    }

    /// Whether the rule applies to this desired number (by number, as written or
    /// in E.164, name or id; case-insensitive, as `--only` matches).
    pub fn matches_number(&self, d: &DesiredNumber) -> bool {
        self.numbers.is_empty() || self.numbers.matches_desired(d)
    }

    pub fn matches_path(&self, path: &Pointer) -> bool {
        self.matching_pattern(path).is_some()
    }

    /// The first path pattern that matches, for messages.
    fn matching_pattern(&self, path: &Pointer) -> Option<&str> {
        let text = fold_header_names(&path.to_string());
        self.paths
            .iter()
            .find(|p| {
                p.glob.is_match(&text) || p.also_parent.as_ref().is_some_and(|g| g.is_match(&text))
            })
            .map(|p| p.text.as_str())
    }
}

impl IgnoreSet {
    /// The live rules (not expired) that suppress this difference of this number.
    pub fn find(&self, d: &DesiredNumber, path: &Pointer) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| !r.expired && r.matches_number(d) && r.matches_path(path))
    }

    /// You cannot both declare a value and ignore it: a rule whose path the
    /// desired document sets for a number it matches is an error.
    pub fn check_conflicts(&self, numbers: &[DesiredNumber]) -> Result<(), ConfigErrors> {
        let mut errors = Vec::new();
        for rule in self.rules.iter().filter(|r| !r.expired) {
            for d in numbers.iter().filter(|d| rule.matches_number(d)) {
                if let Some((path, pattern)) = d
                    .source_map()
                    .declared_paths()
                    .find_map(|p| rule.matching_pattern(&p).map(|pat| (p, pat)))
                {
                    errors.push(ConfigError {
                        file: d.file.to_string(),
                        pos: Some(d.source_map().position(&path)),
                        message: format!(
                            "{path} is declared here and ignored by the rule at {} (path \"{pattern}\"): declare the value or ignore it, not both",
                            rule.id
                        ),
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(errors))
        }
    }
}

/// Loads the ignore file: `explicit` must exist; otherwise the default file is read
/// from `dir` when present. `today` is `YYYY-MM-DD`.
pub fn load(explicit: Option<&Path>, dir: &Path, today: &str) -> Result<IgnoreSet, ConfigErrors> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = dir.join(DEFAULT_FILE);
            if !p.exists() {
                return Ok(IgnoreSet::default());
            }
            Path::new(DEFAULT_FILE).to_path_buf()
        }
    };
    let name = path.display().to_string();
    let full = if path.is_absolute() {
        path.clone()
    } else {
        dir.join(&path)
    };
    let text = std::fs::read_to_string(&full).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: name.clone(),
            pos: None,
            message: format!("cannot read the ignore file: {e}"),
        }])
    })?;
    parse(&name, &text, today)
}

/// Parses and validates an ignore file's text.
pub fn parse(file: &str, text: &str, today: &str) -> Result<IgnoreSet, ConfigErrors> {
    let mut p = Parser {
        file,
        errors: Vec::new(),
    };
    let set = p.file_node(text, today);
    p.errors.sort_by_key(|e| e.pos);
    if p.errors.is_empty() {
        Ok(set)
    } else {
        Err(ConfigErrors(p.errors))
    }
}

struct Parser<'a> {
    file: &'a str,
    errors: Vec<ConfigError>,
}

impl Parser<'_> {
    fn error(&mut self, pos: Pos, message: String) {
        self.errors.push(ConfigError {
            file: self.file.into(),
            pos: Some(pos),
            message,
        });
    }

    fn file_node(&mut self, text: &str, today: &str) -> IgnoreSet {
        let mut set = IgnoreSet {
            file: Some(self.file.into()),
            ..IgnoreSet::default()
        };
        let docs = match yaml::parse_documents(text) {
            Ok(d) => d,
            Err(e) => {
                self.errors.push(ConfigError {
                    file: self.file.into(),
                    pos: e.pos,
                    message: format!("invalid YAML: {}", e.message),
                });
                return set;
            }
        };
        let [root] = docs.as_slice() else {
            if docs.len() > 1 {
                self.error(docs[1].pos, "an ignore file has one document".into());
            }
            return set;
        };
        let Some(entries) = self.map(root, "the ignore file") else {
            return set;
        };
        for (key, value) in entries {
            match key.name.as_str() {
                "rules" => {
                    if let NodeKind::Seq(items) = &value.kind {
                        for item in items {
                            if let Some(rule) = self.rule(item, today) {
                                set.rules.push(rule);
                            }
                        }
                    } else if !matches!(value.kind, NodeKind::Null) {
                        self.error(value.pos, "\"rules\" must be a list of rules".into());
                    }
                }
                "unmanaged" => {
                    set.unmanaged = self
                        .globs(value, "unmanaged")
                        .into_iter()
                        .map(|(t, _)| t)
                        .collect()
                }
                "secret_headers" => {
                    set.secret_headers = self
                        .globs(value, "secret_headers")
                        .into_iter()
                        .map(|(t, _)| t)
                        .collect()
                }
                other => {
                    let keys = ["rules", "unmanaged", "secret_headers"];
                    let hint = suggest(other, keys.into_iter())
                        .map(|s| format!(" (did you mean \"{s}\"?)"))
                        .unwrap_or_default();
                    self.error(
                        key.pos,
                        format!(
                            "unknown key \"{other}\"{hint}; expected rules, unmanaged, secret_headers"
                        ),
                    );
                }
            }
        }
        set
    }

    fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(yaml::Key, Node)]> {
        match &node.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => {
                self.error(node.pos, format!("{what} must be a mapping"));
                None
            }
        }
    }

    fn string(&mut self, node: &Node, key: &str) -> Option<String> {
        match &node.kind {
            NodeKind::String(s) if !s.trim().is_empty() => Some(s.clone()),
            NodeKind::String(_) => {
                self.error(node.pos, format!("\"{key}\" must not be empty"));
                None
            }
            _ => {
                self.error(node.pos, format!("\"{key}\" must be a string"));
                None
            }
        }
    }

    fn globs(&mut self, node: &Node, key: &str) -> Vec<(String, Pos)> {
        match &node.kind {
            NodeKind::Seq(items) => items
                .iter()
                .filter_map(|i| self.string(i, key).map(|s| (s, i.pos)))
                .collect(),
            NodeKind::String(s) => vec![(s.clone(), node.pos)],
            _ => {
                self.error(node.pos, format!("\"{key}\" must be a list of patterns"));
                Vec::new()
            }
        }
    }

    fn rule(&mut self, node: &Node, today: &str) -> Option<Rule> {
        let entries = self.map(node, "a rule")?;
        let before = self.errors.len();
        let mut numbers = Vec::new();
        let mut paths = Vec::new();
        let mut reason = None;
        let mut expires = None;
        let mut saw_paths = false;
        for (key, value) in entries {
            match key.name.as_str() {
                "numbers" => {
                    for (text, pos) in self.globs(value, "numbers") {
                        match parse_glob(&text) {
                            Ok(g) => numbers.push(g),
                            Err(message) => self.error(pos, message),
                        }
                    }
                }
                "paths" => {
                    saw_paths = true;
                    for (text, pos) in self.globs(value, "paths") {
                        match path_pattern(&text) {
                            Ok(p) => paths.push(p),
                            Err(message) => self.error(pos, message),
                        }
                    }
                }
                "reason" => reason = self.string(value, "reason"),
                "expires" => {
                    let text = match &value.kind {
                        NodeKind::String(s) => Some(s.clone()),
                        _ => None,
                    };
                    match text.filter(|t| valid_date(t)) {
                        Some(t) => expires = Some(t),
                        None => {
                            self.error(value.pos, "\"expires\" must be a date YYYY-MM-DD".into())
                        }
                    }
                }
                other => {
                    let keys = ["numbers", "paths", "reason", "expires"];
                    let hint = suggest(other, keys.into_iter())
                        .map(|s| format!(" (did you mean \"{s}\"?)"))
                        .unwrap_or_default();
                    self.error(
                        key.pos,
                        format!("unknown key \"{other}\"{hint}; expected numbers, paths, reason, expires"),
                    );
                }
            }
        }
        if !saw_paths || (paths.is_empty() && self.errors.len() == before) {
            self.error(
                node.pos,
                "a rule needs \"paths\" (JSON Pointer patterns)".into(),
            );
        }
        if reason.is_none() && !entries.iter().any(|(k, _)| k.name == "reason") {
            self.error(node.pos, "a rule needs a \"reason\"".into());
        }
        if self.errors.len() > before {
            return None;
        }
        let numbers = Globs::new(&numbers).expect("each glob was checked by parse_glob");
        let expired = expires.as_deref().is_some_and(|e| e < today);
        Some(Rule {
            id: format!("{}:{}", self.file, node.pos.line),
            reason: reason.expect("checked above"),
            expires,
            numbers,
            paths,
            expired,
        })
    }
}

fn path_pattern(text: &str) -> Result<PathPattern, String> {
    if !text.starts_with('/') {
        return Err(format!(
            "path \"{text}\" must be a JSON Pointer starting with \"/\""
        ));
    }
    let build = |t: &str| {
        GlobBuilder::new(t)
            .literal_separator(true)
            .build()
            .map(|g| g.compile_matcher())
            .map_err(|e| format!("invalid path pattern \"{text}\": {}", e.kind()))
    };
    let folded = fold_header_names(text);
    let glob = build(&folded)?;
    let also_parent = match folded.strip_suffix("/**") {
        Some(parent) if !parent.is_empty() => Some(build(parent)?),
        _ => None,
    };
    Ok(PathPattern {
        text: text.into(),
        glob,
        also_parent,
    })
}

/// HTTP header names compare case-insensitively, so they match that way too: the
/// segment after `/server/headers` or `sipHeaders` is folded to lower case, in
/// patterns and in paths alike.
fn fold_header_names(pointer: &str) -> String {
    let segs: Vec<&str> = pointer.split('/').collect();
    let mut out: Vec<String> = Vec::with_capacity(segs.len());
    for (i, seg) in segs.iter().enumerate() {
        let header_name = i > 0
            && (segs[i - 1] == "sipHeaders"
                || (segs[i - 1] == "headers" && i > 1 && segs[i - 2] == "server"));
        out.push(if header_name {
            seg.to_ascii_lowercase()
        } else {
            seg.to_string()
        });
    }
    out.join("/")
}

/// `YYYY-MM-DD`, and a day the calendar has (jiff: `2026-02-31` is not one).
fn valid_date(t: &str) -> bool {
    let shape = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shape && t.parse::<jiff::civil::Date>().is_ok()
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{IdRule, valid_numbers};

    const TODAY: &str = "2026-11-27";

    fn rules(text: &str) -> IgnoreSet {
        parse("ig.yaml", text, TODAY).unwrap_or_else(|e| panic!("{e}"))
    }

    fn errors(text: &str) -> Vec<String> {
        parse("ig.yaml", text, TODAY)
            .expect_err("invalid")
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn number(yaml: &str) -> DesiredNumber {
        valid_numbers("d.yaml", yaml, &|_| None, IdRule::Required).remove(0)
    }

    fn p(text: &str) -> Pointer {
        Pointer::parse(text).expect("pointer")
    }

    #[test]
    fn dates() {
        assert!(valid_date("2024-02-29") && valid_date("2026-11-27"));
        for bad in [
            "2026-02-31",
            "2025-02-29",
            "2026-13-01",
            "2026-1-01",
            "20261127",
            "+002026-11-27",
        ] {
            assert!(!valid_date(bad), "{bad}");
        }
        assert!(valid_date(&today()), "{}", today());
    }

    #[test]
    fn globs_over_numbers_and_pointer_paths() {
        let set = rules(
            "rules:\n  - numbers: [\"+1415*\", \"Support*\"]\n    paths: [\"/name\", \"/hooks/*/do/0/destination/callerId\", \"/server/headers/X-Trace-*\"]\n    reason: marketing renames lines freely\n",
        );
        let support = number(
            "id: a\nprovider: vonage\nnumber: \"+4420\"\ncredentialId: c\nname: Support UK\n",
        );
        let sf = number("id: b\nprovider: vonage\nnumber: \"+14155550100\"\ncredentialId: c\n");
        let other = number("id: c\nprovider: vonage\nnumber: \"+4420\"\ncredentialId: c\n");
        assert!(set.find(&support, &p("/name")).is_some());
        assert!(
            set.find(&sf, &p("/hooks/3/do/0/destination/callerId"))
                .is_some()
        );
        assert!(set.find(&sf, &p("/server/headers/X-Trace-Id")).is_some());
        assert!(
            set.find(&sf, &p("/server/headers/x-trace-id")).is_some(),
            "header names fold case"
        );
        assert!(set.find(&sf, &p("/Name")).is_none(), "other keys do not");
        assert!(
            set.find(&sf, &p("/hooks/3/do/1/destination/callerId"))
                .is_none()
        );
        assert!(
            set.find(&sf, &p("/hooks/3/extra/do/0/destination/callerId"))
                .is_none(),
            "* is one segment"
        );
        assert!(
            set.find(&other, &p("/name")).is_none(),
            "number globs limit the rule"
        );
    }

    #[test]
    fn number_globs_match_as_every_selector_does() {
        // Regression (issue 10, item 7): `numbers:` matched only the number as
        // written, case-sensitively, while --only matched E.164 and folded case.
        let set = rules(
            "rules:\n  - numbers: [\"+1415555010*\", \"Support*\"]\n    paths: [/squadId]\n    reason: x\n",
        );
        let formatted =
            number("id: a\nprovider: vonage\nnumber: \"+1 (415) 555-0107\"\ncredentialId: c\n");
        let lower = number(
            "id: b\nprovider: vonage\nnumber: \"+44\"\ncredentialId: c\nname: support line\n",
        );
        let other =
            number("id: c\nprovider: vonage\nnumber: \"+44\"\ncredentialId: c\nname: sales\n");
        assert!(set.find(&formatted, &p("/squadId")).is_some());
        assert!(set.find(&lower, &p("/squadId")).is_some());
        assert!(set.find(&other, &p("/squadId")).is_none());
    }

    #[test]
    fn double_star_matches_any_depth_including_the_parent() {
        let set =
            rules("rules:\n  - paths: [\"/hooks/**\"]\n    reason: hooks are managed elsewhere\n");
        let d = number("id: a\nprovider: vapi\n");
        assert!(set.find(&d, &p("/hooks")).is_some());
        assert!(
            set.find(&d, &p("/hooks/0/do/0/destination/number"))
                .is_some()
        );
        assert!(set.find(&d, &p("/server/url")).is_none());
    }

    #[test]
    fn an_expired_rule_stops_suppressing() {
        let set = rules(
            "rules:\n  - paths: [/name]\n    reason: old\n    expires: 2026-11-26\n  - paths: [/squadId]\n    reason: today still counts\n    expires: 2026-11-27\n",
        );
        let d = number("id: a\nprovider: vapi\n");
        assert!(set.rules[0].expired);
        assert!(set.find(&d, &p("/name")).is_none());
        assert!(!set.rules[1].expired);
        assert!(set.find(&d, &p("/squadId")).is_some());
        assert_eq!(set.rules[1].id, "ig.yaml:5");
    }

    #[test]
    fn invalid_ignore_files_name_file_line_and_key() {
        assert_eq!(
            errors("rules:\n  - paths: [/name]\n    reasn: x\n"),
            vec![
                "ig.yaml:2:5: a rule needs a \"reason\"",
                "ig.yaml:3:5: unknown key \"reasn\" (did you mean \"reason\"?); expected numbers, paths, reason, expires",
            ]
        );
        assert_eq!(
            errors("rules:\n  - paths: [name]\n    reason: x\n    expires: next year\n"),
            vec![
                "ig.yaml:2:13: path \"name\" must be a JSON Pointer starting with \"/\"",
                "ig.yaml:4:14: \"expires\" must be a date YYYY-MM-DD",
            ]
        );
        assert_eq!(
            errors("rulez: []\n"),
            vec![
                "ig.yaml:1:1: unknown key \"rulez\" (did you mean \"rules\"?); expected rules, unmanaged, secret_headers"
            ]
        );
        assert_eq!(
            errors("rules:\n  - reason: x\n"),
            vec!["ig.yaml:2:5: a rule needs \"paths\" (JSON Pointer patterns)"]
        );
    }

    #[test]
    fn declaring_and_ignoring_the_same_path_is_an_error() {
        let set = rules("rules:\n  - paths: [/name]\n    reason: x\n");
        let d = number("id: a\nprovider: vapi\nname: Front desk\n");
        let err = set.check_conflicts(&[d]).expect_err("conflict");
        assert_eq!(
            err.to_string(),
            "d.yaml:3:1: /name is declared here and ignored by the rule at ig.yaml:2 (path \"/name\"): declare the value or ignore it, not both"
        );
        let undeclared = number("id: a\nprovider: vapi\n");
        assert!(set.check_conflicts(&[undeclared]).is_ok());
    }

    #[test]
    fn unmanaged_allow_list() {
        let set = rules("unmanaged: [\"+1212*\"]\n");
        assert_eq!(set.unmanaged, vec!["+1212*"]);
        assert!(set.rules.is_empty());
    }
}
