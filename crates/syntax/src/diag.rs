//! Diagnostics as data.
//!
//! Any pass may produce a [`Diag`]; it is rendered once, at the edge, in
//! dtrace's own format (`dtrace: failed to compile script x.d: line 3: ...`),
//! with the `[D_TAG] ` prefix when `-x errtags` is set. Passes never print.
//!
//! The tags are DTrace's compiler error tags (`D_SYNTAX`, `D_IDENT_UNDEF`,
//! ...): scripts and test suites match on them, so they are kept verbatim.

use crate::source::Span;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    /// DTrace's error tag, e.g. `"D_SYNTAX"`.
    pub tag: &'static str,
    /// Where the error is; `None` for errors about the program as a whole
    /// (dtrace then omits the "line N: " part).
    pub span: Option<Span>,
    pub message: String,
    /// The part of a clause being checked when the error arose
    /// (`"action list"`, `"predicate"`); dtrace shows it, as
    /// `in action list: `, for programs given on the command line.
    pub region: Option<&'static str>,
}

impl Diag {
    pub fn new(tag: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diag {
            tag,
            span: Some(span),
            message: message.into(),
            region: None,
        }
    }

    pub fn without_span(tag: &'static str, message: impl Into<String>) -> Self {
        Diag {
            tag,
            span: None,
            message: message.into(),
            region: None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Diag>;
