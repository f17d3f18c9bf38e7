//! vapi-drift: audits Vapi phone numbers for configuration drift against desired YAML.
//!
//! Data flows one way: desired -> live -> normalized pair -> differences -> report.

pub mod audit;
pub mod cli;
pub mod desired;
pub mod diff;
pub mod exit;
pub mod explain;
pub mod export;
pub mod ignore;
pub mod inventory;
pub mod normalize;
pub mod pointer;
pub mod progress;
pub mod report;
pub mod run;
pub mod schema;
pub mod secret;
pub mod uri;
pub mod vapi;
pub mod yaml;
