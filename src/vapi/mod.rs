//! The Vapi API, read-only: the client (auth, timeouts, retries, `--rps`), the
//! list routes and their paging, and the org guard.

pub mod client;
pub mod list;
pub mod org;
pub mod ratelimit;
