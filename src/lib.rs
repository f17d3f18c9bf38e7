//! vapi-drift: audits Vapi phone numbers for configuration drift against desired YAML.
//!
//! Data flows one way: desired -> live -> normalized pair -> differences -> report.
//!
//! - `desired`, `yaml`, `schema`, `source_map`, `doc_text`: load and validate the desired
//!   YAML, and hold it compactly (`files`: which files are desired files, for the working
//!   tree and `--deployed-ref` alike);
//! - `select`, `lookup`: which numbers a glob picks; finding a number without an id;
//! - `vapi`: the read-only client, the list routes, the org guard;
//! - `normalize` (with `uri`, the canonical forms of SIP URIs and URLs), `diff`,
//!   `secret`: one canonical form for both sides, the differences;
//! - `deployed`: the desired files at the last deploy (`--deployed-ref`), for the
//!   cause of each difference (`finding`);
//! - `baseline`: findings matched to an earlier report (`--baseline`), new or known;
//! - `inventory` (which live numbers are read, and how) and `audit` (fetch + compare)
//!   produce the `model`;
//! - `report`, `explain`, `export` read the model; `exit` maps it to an exit code;
//! - `alert`: what the nightly workflow does with its GitHub issue, from a report;
//! - `cli` and `run`: the command line, and the commands `main` runs.

pub mod alert;
pub mod atomic_file;
pub mod audit;
pub mod baseline;
pub mod cli;
pub mod declared;
pub mod deployed;
pub mod desired;
pub mod diff;
pub mod doc_text;
pub mod exit;
pub mod explain;
pub mod export;
pub mod files;
pub mod finding;
pub mod ignore;
pub mod inventory;
pub mod lookup;
pub mod model;
pub mod normalize;
pub mod pointer;
pub mod progress;
pub mod report;
pub mod run;
pub mod schema;
pub mod secret;
pub mod select;
pub mod source_map;
pub mod uri;
pub mod vapi;
pub mod yaml;
