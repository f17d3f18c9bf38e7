//! The Vapi API: the read-only client the audit uses, and the stand-in server
//! (a faithful local imitation of the phone-number routes) that the demo, the
//! tests and the benchmarks run against.

pub mod client;
pub mod demo;
pub mod list;
pub mod ratelimit;
pub mod standin;
mod timer;
