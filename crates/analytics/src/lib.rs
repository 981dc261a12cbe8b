//! # cxmap-analytics — the event-analytics engine
//!
//! Pure computation over event logs: no I/O, no async, no knowledge of files,
//! HTTP or databases (the `cxmap-logfile` crate reads files into an
//! [`EventLog`]; the server and CLI render results as JSON).
//!
//! ## Data layout
//! An [`EventLog`] is columnar: one `u32` activity code and one `i64`
//! timestamp (milliseconds since the Unix epoch, UTC) per event, activities
//! dictionary-encoded, events grouped by case once (stable counting sort) and
//! ordered by timestamp inside each case with ties in file order.
//!
//! ## Per-case partials and merge
//! Every analysis is decomposable by case (PRODUCT.md, "Scale beyond one
//! machine"): a `*Partial` accumulates cases (`add_case`), two partials
//! `merge` — also when they come from partitions with different activity
//! dictionaries — and `finish` produces the result. The one-call helpers
//! ([`dfg()`], [`variants()`], [`funnel()`], …) are that loop over one log.
//!
//! | analysis | partial | result |
//! |---|---|---|
//! | directly-follows graph | [`DfgPartial`] | [`Dfg`] |
//! | variants, top K | [`VariantsPartial`] | [`Variants`] |
//! | exact window funnel | [`FunnelMatcher`] + [`FunnelPartial`] | [`Funnel`] |
//! | time between touchpoints, bottlenecks | [`EdgeTimingPartial`] | [`EdgeTiming`], [`Bottlenecks`] |
//! | conformance with a design | [`ConformanceChecker`] + [`ConformancePartial`] | [`Conformance`] |

pub mod bottleneck;
pub mod conformance;
pub mod dfg;
mod dict;
pub mod funnel;
pub mod hash;
pub mod intern;
pub mod log;
pub mod radix;
pub mod variants;

pub use bottleneck::{Bottlenecks, EdgeTiming, EdgeTimingPartial, bottlenecks, edge_timings};
pub use conformance::{
    CaseConformance, Conformance, ConformanceChecker, ConformancePartial, ConformanceStep,
    conformance,
};
pub use dfg::{Dfg, DfgEdge, DfgPartial, dfg};
pub use funnel::{
    CaseFunnel, Funnel, FunnelMatcher, FunnelPartial, FunnelReport, FunnelSegment, FunnelSpec,
    FunnelStep, SegmentedFunnel, funnel, funnel_by_segment,
};
pub use log::{BuildError, CaseView, EventLog, EventLogBuilder};
pub use radix::RadixBuilder;
pub use variants::{Variant, Variants, VariantsPartial, variants};
