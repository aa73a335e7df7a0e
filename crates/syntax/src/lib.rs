//! D source → tokens → abstract syntax tree.
//!
//! This crate is the first stage of the pipeline and knows nothing of the
//! kernel: it turns D text into an [`ast::Program`] or a [`diag::Diag`].
//! Start at [`parser::parse`]; [`source`] explains spans and line numbers,
//! [`lexer`] the token stream (including macro-variable substitution, see
//! [`macros`]), [`probedesc`] how probe descriptions are split, and [`cpp`]
//! the optional `-C` pass through the system C preprocessor.

pub mod ast;
pub mod cpp;
pub mod diag;
pub mod lexer;
pub mod macros;
pub mod parser;
pub mod probedesc;
pub mod source;
pub mod token;

pub use macros::Macros;
pub use parser::{NoTypeNames, ParseOptions, Parsed, TypeNames, parse, parse_full};
