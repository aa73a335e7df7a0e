//! printf-style format checking: each conversion against its argument.
//!
//! The rules (which conversion takes which types, and every message) belong
//! to the output crate, which also formats the records at run time; the
//! compiler describes each argument's type to it.

use super::Checker;
use crate::tir::TExpr;
use crate::types::{TypeDef, TypeId};
use dtrace_output::printf::{self, ArgClass, ArgType, FormatUse};
use dtrace_syntax::diag::{Diag, Result};
use dtrace_syntax::source::Span;

/// A type described for the format checker (owned strings, borrowed later).
struct Described {
    name: String,
    resolved: String,
    chain: Vec<String>,
    class: ArgClass,
}

impl Checker<'_> {
    fn describe(&self, ty: TypeId) -> Described {
        let mut chain = Vec::new();
        let mut id = ty;
        loop {
            match self.types.def(id) {
                TypeDef::Typedef { name, target } => {
                    chain.push(name.clone());
                    id = *target;
                }
                TypeDef::Qualified { target, .. } => id = *target,
                _ => break,
            }
        }
        let class = match self.types.def(id) {
            TypeDef::Int { size, signed, .. } => ArgClass::Integer {
                size: *size as u8,
                signed: *signed,
            },
            TypeDef::Enum(_) => ArgClass::Integer {
                size: 4,
                signed: true,
            },
            TypeDef::Float { size, .. } => ArgClass::Float { size: *size as u8 },
            TypeDef::Pointer { .. } => ArgClass::Pointer,
            TypeDef::String => ArgClass::String,
            TypeDef::Array { elem, .. } => {
                let e = self.types.resolve(*elem);
                match self.types.def(e) {
                    TypeDef::Int { is_char: true, .. } => ArgClass::CharArray,
                    TypeDef::Int { size: 4, .. } => ArgClass::WideCharArray,
                    _ => ArgClass::Other,
                }
            }
            _ => ArgClass::Other,
        };
        Described {
            name: self.types.name(ty),
            resolved: self.types.name(id),
            chain,
            class,
        }
    }

    /// Checks `args` against the conversions of `fmt` and converts each to
    /// the form the conversion records (char arrays become strings).
    pub(crate) fn check_printf(
        &mut self,
        name: &str,
        fmt: &[u8],
        args: Vec<TExpr>,
        span: Span,
    ) -> Result<Vec<TExpr>> {
        let format =
            printf::parse_format(fmt).map_err(|e| Diag::new(e.tag(), span, e.to_string()))?;
        let described: Vec<Described> = args.iter().map(|a| self.describe(a.ty)).collect();
        let chains: Vec<Vec<&str>> = described
            .iter()
            .map(|d| d.chain.iter().map(String::as_str).collect())
            .collect();
        let types: Vec<ArgType<'_>> = described
            .iter()
            .zip(&chains)
            .map(|(d, chain)| ArgType {
                name: &d.name,
                class: d.class,
                resolved_name: &d.resolved,
                typedef_chain: chain,
            })
            .collect();
        printf::validate(&format, name, FormatUse::Printf, &types, 1, false)
            .map_err(|e| Diag::new(e.tag(), span, e.to_string()))?;
        let classes: Vec<ArgClass> = described.iter().map(|d| d.class).collect();
        let mut out = Vec::with_capacity(args.len());
        for (a, class) in args.into_iter().zip(classes) {
            out.push(if class == ArgClass::CharArray {
                let s = a.span;
                self.stringof(a, s)?
            } else {
                a
            });
        }
        Ok(out)
    }
}
