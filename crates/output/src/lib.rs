//! Turning decoded trace records into exactly the bytes illumos `dtrace(1)` prints.
//!
//! The consumer decodes each record into a [`Value`] and hands it here:
//!
//! * [`printf`]: the `printf()` engine — [`parse_format`] cuts a format string into
//!   conversions (with DTrace's compile-time errors), [`printf::validate`] checks argument
//!   types for the compiler, [`printf::format`] formats recorded arguments;
//! * [`trace`]: `trace()`, `tracemem()` and the symbolic actions;
//! * [`aggregate`]: aggregation listings, `printa()` with and without a format, sorting,
//!   `trunc()`; [`aggfunc`] defines the aggregating functions, the layout of their values in
//!   BPF maps and the bucket formulas the code generator must reproduce;
//! * [`quantize`]: the histograms of `quantize()`, `lquantize()`, `llquantize()`;
//! * [`probe`]: the column header and the per-probe line prefix;
//! * [`time`] and [`tz`]: wall-clock time for `%Y`/`%T` in the local zone.
//!
//! Symbols, the target process and the local time come from a [`FormatContext`]; [`NoSymbols`]
//! resolves nothing and uses UTC. Output is appended to a `Vec<u8>`: D strings are bytes, not
//! necessarily UTF-8.
#![cfg_attr(not(test), forbid(unsafe_code))]

pub mod aggfunc;
pub mod aggregate;
mod bytes;
mod cfmt;
pub mod context;
mod escape;
pub mod printf;
pub mod probe;
pub mod quantize;
mod stack;
pub mod time;
pub mod trace;
pub mod tz;
mod value;

pub use aggfunc::{AggFunc, Llquantize, Lquantize};
pub use aggregate::{AggEntry, AggOptions, Aggregation};
pub use context::{FormatContext, NoSymbols, Symbol};
pub use escape::escape;
pub use printf::{Format, FormatError, parse_format};
pub use quantize::HistogramStyle;
pub use stack::DEFAULT_STACK_INDENT;
pub use trace::TraceOptions;
pub use value::{Stack, Value};
