//! Built-in evaluation: how close a configuration's answers come to test cases' references, and at what cost.
//!
//! Everything here is pure: the metrics and their confidence intervals, the judge's prompts and the parser of
//! its verdicts, and the bookkeeping of a run (which case goes next, what a rate limit does, what a resumed run
//! still has to ask). The answers themselves come from [`crate::core::pipeline`], the same code as a chat's; the
//! browser reaches this module only through the ports.

pub mod answer;
pub mod estimate;
pub mod from_chat;
pub mod judge;
pub mod metrics;
pub mod model;
pub mod pairwise;
pub mod report;
pub mod run;
pub mod runner;
pub mod sample;
pub mod schedule;
pub mod stats;
