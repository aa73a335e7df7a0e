//! Actions, aggregations and subroutine calls.
//!
//! D separates *actions* (which record data or act on the tracing session:
//! `trace`, `printf`, `exit`, aggregation updates) from *subroutines* (which
//! compute a value in probe context: `strlen`, `copyinstr`). Actions are
//! statements; a subroutine is an expression.
//!
//! Checking a call has two stages, as in DTrace: while cooking, the
//! arguments are checked against the function's prototype
//! ([`super::protos`], `D_PROTO_LEN`/`D_PROTO_ARG`); when the clause's
//! actions are compiled, each action checks what its prototype cannot say
//! (constant parameters, aggregation arguments, format strings). Errors of
//! the second stage carry no region ([`super::cc_error`]).

use super::protos::{self, FnKind};
use super::{Checker, cc_error};
use crate::tir::*;
use crate::types::TypeId;
use dtrace_syntax::ast::*;
use dtrace_syntax::diag::{Diag, Result};
use dtrace_syntax::source::Span;

/// The names that are statements of their own: tracing functions, and
/// the destructive subroutines that only make sense as statements.
const ACTIONS: &[&str] = &[
    "trace",
    "printf",
    "printa",
    "exit",
    "clear",
    "trunc",
    "normalize",
    "denormalize",
    "setopt",
    "stack",
    "ustack",
    "jstack",
    "tracemem",
    "system",
    "raise",
    "stop",
    "panic",
    "breakpoint",
    "chill",
    "copyout",
    "copyoutstr",
    "speculate",
    "commit",
    "discard",
    "freopen",
    "ftruncate",
    "print",
    "sym",
    "func",
    "mod",
    "usym",
    "ufunc",
    "umod",
    "uaddr",
];

const DESTRUCTIVE: &[&str] = &[
    "system",
    "raise",
    "stop",
    "panic",
    "breakpoint",
    "chill",
    "copyout",
    "copyoutstr",
];

pub(super) fn is_action(name: &str) -> bool {
    ACTIONS.contains(&name)
}

/// A positive non-zero integer constant (`dt_node_is_posconst`).
fn is_posconst(c: &Checker<'_>, e: &TExpr) -> bool {
    match e.kind {
        TExprKind::Int(v) => v != 0 && (!c.types.is_signed(e.ty) || v > 0),
        _ => false,
    }
}

impl Checker<'_> {
    fn value(&mut self, e: &Expr) -> Result<TExpr> {
        let t = self.expr(e)?;
        self.rvalue(t)
    }

    fn values(&mut self, args: &[Expr]) -> Result<Vec<TExpr>> {
        args.iter().map(|a| self.value(a)).collect()
    }

    /// Cooks a call's arguments and checks them against the prototype;
    /// returns the arguments and the function's return type.
    fn cook_call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Expr],
    ) -> Result<(Vec<TExpr>, Option<TypeId>)> {
        let Some(def) = protos::lookup(name) else {
            return Err(Diag::new(
                "D_FUNC_UNDEF",
                name_span,
                format!("undefined function name: {name}"),
            ));
        };
        let vals = self.values(args)?;
        let ret = self.check_call(def, &vals, name_span)?;
        Ok((vals, ret))
    }

    /// The aggregation `e` names, if it is one (`@a`).
    fn agg_of(&self, e: &Expr) -> Option<AggId> {
        match &e.kind {
            ExprKind::Agg(name) => self.aggs.get(name).copied(),
            _ => None,
        }
    }

    /// The aggregation argument of `clear`, `normalize`, `trunc`...: any
    /// other argument is `D_<NAME>_AGGARG`.
    fn agg_arg(
        &self,
        tag: &'static str,
        name: &str,
        e: &Expr,
        v: &TExpr,
        span: Span,
    ) -> Result<AggId> {
        self.agg_of(e).ok_or_else(|| {
            cc_error(
                tag,
                span,
                format!(
                    "{name}( ) argument #1 is incompatible with prototype:\n\tprototype: aggregation\n\t argument: {}",
                    self.types.name(v.ty)
                ),
            )
        })
    }

    /// The format of `printf`, `system` and `freopen`: a string constant.
    fn format_arg(&self, name: &str, e: &Expr, v: &TExpr, span: Span) -> Result<Vec<u8>> {
        match &e.kind {
            ExprKind::Str(s) => Ok(s.clone()),
            _ => Err(cc_error(
                "D_PRINTF_ARG_FMT",
                span,
                format!(
                    "{name}( ) argument #1 is incompatible with prototype:\n\tprototype: string constant\n\t argument: {}",
                    self.types.name(v.ty)
                ),
            )),
        }
    }

    /// A string constant argument, which this compiler needs where DTrace
    /// would accept any string.
    fn literal(&self, name: &str, i: usize, e: &Expr) -> Result<String> {
        match &e.kind {
            ExprKind::Str(s) => Ok(String::from_utf8_lossy(s).into_owned()),
            _ => Err(Diag::new(
                "D_UNKNOWN",
                e.span,
                format!(
                    "{name}( ) argument #{} must be a string constant here",
                    i + 1
                ),
            )),
        }
    }

    pub(super) fn action(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Expr],
        span: Span,
    ) -> Result<Action> {
        if DESTRUCTIVE.contains(&name) {
            self.note_destructive();
        }
        let b = self.types.builtins;
        let (vals, _) = self.cook_call(name, name_span, args)?;
        let argc = vals.len();
        let kind = match name {
            "trace" => {
                let v = vals
                    .into_iter()
                    .next()
                    .ok_or_else(|| Diag::new("D_UNKNOWN", span, "trace( ) needs an argument"))?;
                let agg_arg = args.first().is_some_and(|a| {
                    matches!(&a.kind, ExprKind::Agg(_))
                        || matches!(&a.kind, ExprKind::Index { base, .. } if matches!(base.kind, ExprKind::Agg(_)))
                });
                if self.types.is_void(v.ty) {
                    return Err(cc_error(
                        "D_TRACE_VOID",
                        v.span,
                        "trace( ) may not be applied to a void expression",
                    ));
                }
                if agg_arg {
                    return Err(cc_error(
                        "D_TRACE_AGG",
                        v.span,
                        "trace( ) may not be applied to an aggregation",
                    ));
                }
                if !self.types.is_scalar(v.ty)
                    && !self.types.is_string(v.ty)
                    && !self.types.is_dynamic(v.ty)
                {
                    return Err(Diag::new(
                        "D_UNKNOWN",
                        v.span,
                        format!(
                            "trace( ) of a value of type {} is not supported yet",
                            self.types.name(v.ty)
                        ),
                    ));
                }
                ActionKind::Trace(v)
            }
            "printf" | "system" | "freopen" => {
                let (fmt_expr, fmt_val) = match (args.first(), vals.first()) {
                    (Some(e), Some(v)) => (e, v),
                    _ => {
                        return Err(Diag::new(
                            "D_UNKNOWN",
                            span,
                            format!("{name}( ) needs a format"),
                        ));
                    }
                };
                let fmt = self.format_arg(name, fmt_expr, fmt_val, span)?;
                let rest: Vec<TExpr> = vals.into_iter().skip(1).collect();
                let rest = self.check_printf(name, &fmt, rest, span)?;
                let format = self.intern_format(&fmt);
                match name {
                    "printf" => ActionKind::Printf { format, args: rest },
                    "system" => ActionKind::System { format, args: rest },
                    _ => ActionKind::Freopen { format, args: rest },
                }
            }
            "printa" => self.printa(args, &vals, span)?,
            "exit" => {
                let v = vals
                    .into_iter()
                    .next()
                    .ok_or_else(|| Diag::new("D_UNKNOWN", span, "exit( ) needs a status"))?;
                ActionKind::Exit(self.convert(v, b.int))
            }
            "clear" | "denormalize" => {
                let (proto_tag, arg_tag) = if name == "clear" {
                    ("D_CLEAR_PROTO", "D_CLEAR_AGGARG")
                } else {
                    ("D_NORMALIZE_PROTO", "D_NORMALIZE_AGGARG")
                };
                let (Some(e), Some(v), 1) = (args.first(), vals.first(), argc) else {
                    return Err(cc_error(
                        proto_tag,
                        span,
                        format!("{name}( ) prototype mismatch: {argc} args passed, 1 expected"),
                    ));
                };
                let a = self.agg_arg(arg_tag, name, e, v, span)?;
                if name == "clear" {
                    ActionKind::Clear(a)
                } else {
                    ActionKind::Denormalize(a)
                }
            }
            "normalize" => {
                let (Some(e), Some(v), Some(n), 2) =
                    (args.first(), vals.first(), vals.get(1), argc)
                else {
                    return Err(cc_error(
                        "D_NORMALIZE_PROTO",
                        span,
                        format!("normalize( ) prototype mismatch: {argc} args passed, 2 expected"),
                    ));
                };
                let a = self.agg_arg("D_NORMALIZE_AGGARG", name, e, v, span)?;
                if !self.types.is_scalar(n.ty) {
                    return Err(cc_error(
                        "D_NORMALIZE_SCALAR",
                        span,
                        "normalize( ) argument #2 must be of scalar type",
                    ));
                }
                let n = n.clone();
                ActionKind::Normalize(a, self.convert(n, b.uint64))
            }
            "trunc" => {
                let (Some(e), Some(v)) = (args.first(), vals.first()) else {
                    return Err(cc_error(
                        "D_TRUNC_PROTO",
                        span,
                        format!(
                            "trunc( ) prototype mismatch: {argc} args passed, at least 1 expected"
                        ),
                    ));
                };
                if argc > 2 {
                    return Err(cc_error(
                        "D_TRUNC_PROTO",
                        span,
                        format!(
                            "trunc( ) prototype mismatch: {argc} args passed, no more than 2 expected"
                        ),
                    ));
                }
                let a = self.agg_arg("D_TRUNC_AGGARG", name, e, v, span)?;
                let n = match vals.get(1) {
                    Some(n) if !self.types.is_scalar(n.ty) => {
                        return Err(cc_error(
                            "D_TRUNC_SCALAR",
                            span,
                            "trunc( ) argument #2 must be of scalar type",
                        ));
                    }
                    Some(n) => Some(self.convert(n.clone(), b.int64)),
                    None => None,
                };
                ActionKind::Trunc(a, n)
            }
            "setopt" => {
                let opt = match args.first() {
                    Some(e) => self.literal(name, 0, e)?,
                    None => String::new(),
                };
                let val = match args.get(1) {
                    Some(e) => Some(self.literal(name, 1, e)?),
                    None => None,
                };
                ActionKind::Setopt(opt, val)
            }
            "stack" => {
                let n = match vals.first() {
                    Some(v) => {
                        if vals.len() > 1 {
                            return Err(cc_error(
                                "D_STACK_PROTO",
                                v.span,
                                "stack( ) prototype mismatch: too many arguments",
                            ));
                        }
                        if !is_posconst(self, v) {
                            return Err(cc_error(
                                "D_STACK_SIZE",
                                v.span,
                                "stack( ) size must be a non-zero positive integral constant expression",
                            ));
                        }
                        Some(const_value(v) as u32)
                    }
                    None => None,
                };
                ActionKind::Stack(n)
            }
            "ustack" | "jstack" => {
                let n = match vals.first() {
                    Some(v) if !is_posconst(self, v) => {
                        return Err(cc_error(
                            "D_USTACK_FRAMES",
                            v.span,
                            "ustack( ) argument #1 must be a non-zero positive integer constant",
                        ));
                    }
                    Some(v) => Some(const_value(v) as u32),
                    None => None,
                };
                if let Some(s) = vals.get(1) {
                    let ok = matches!(s.kind, TExprKind::Int(v) if !self.types.is_signed(s.ty) || v >= 0);
                    if !ok {
                        return Err(cc_error(
                            "D_USTACK_STRSIZE",
                            s.span,
                            "ustack( ) argument #2 must be a positive integer constant",
                        ));
                    }
                    if vals.len() > 2 {
                        return Err(cc_error(
                            "D_USTACK_PROTO",
                            s.span,
                            "ustack( ) prototype mismatch: too many arguments",
                        ));
                    }
                }
                if name == "jstack" {
                    return Err(Diag::new(
                        "D_UNKNOWN",
                        name_span,
                        "jstack( ) is not supported yet",
                    ));
                }
                ActionKind::Ustack(n)
            }
            "raise" => {
                let v = vals
                    .into_iter()
                    .next()
                    .ok_or_else(|| Diag::new("D_UNKNOWN", span, "raise( ) needs a signal"))?;
                ActionKind::Raise(self.convert(v, b.int))
            }
            "stop" => ActionKind::Stop,
            "ftruncate" => ActionKind::Ftruncate,
            "tracemem" => {
                let (Some(addr), Some(size)) = (vals.first(), vals.get(1)) else {
                    return Err(Diag::new(
                        "D_UNKNOWN",
                        span,
                        "tracemem( ) needs two arguments",
                    ));
                };
                if !self.types.is_integer(addr.ty)
                    && !self.types.is_pointer(addr.ty)
                    && !self.types.is_array(addr.ty)
                {
                    return Err(cc_error(
                        "D_TRACEMEM_ADDR",
                        addr.span,
                        format!(
                            "tracemem( ) argument #1 is incompatible with prototype:\n\tprototype: pointer or integer\n\t argument: {}",
                            self.types.name(addr.ty)
                        ),
                    ));
                }
                if !is_posconst(self, size) {
                    return Err(cc_error(
                        "D_TRACEMEM_SIZE",
                        size.span,
                        "tracemem( ) argument #2 must be a non-zero positive integral constant expression",
                    ));
                }
                if argc > 3 {
                    return Err(cc_error(
                        "D_TRACEMEM_ARGS",
                        span,
                        "tracemem ( ) prototype mismatch: expected at most 3 args",
                    ));
                }
                ActionKind::Tracemem(addr.clone(), const_value(size) as u32)
            }
            _ => {
                return Err(Diag::new(
                    "D_UNKNOWN",
                    name_span,
                    format!("tracing function {name}( ) is not yet supported"),
                ));
            }
        };
        Ok(Action { kind, span })
    }

    /// `printa([format,] @a, ...)`.
    fn printa(&mut self, args: &[Expr], vals: &[TExpr], span: Span) -> Result<ActionKind> {
        let (format, first, mut argr) = match args.first().map(|a| &a.kind) {
            Some(ExprKind::Str(s)) => (Some(s.clone()), 1, 2),
            _ => (None, 0, 1),
        };
        if args.len() < argr {
            return Err(cc_error(
                "D_PRINTA_PROTO",
                span,
                format!(
                    "printa( ) prototype mismatch: {} args passed, {argr} expected",
                    args.len()
                ),
            ));
        }
        let mut aggs = Vec::new();
        for (e, v) in args.iter().zip(vals).skip(first) {
            let Some(a) = self.agg_of(e) else {
                return Err(cc_error(
                    "D_PRINTA_AGGARG",
                    span,
                    format!(
                        "printa( ) argument #{argr} is incompatible with prototype:\n\tprototype: aggregation\n\t argument: {}",
                        self.types.name(v.ty)
                    ),
                ));
            };
            aggs.push(a);
            argr += 1;
        }
        let format = format.map(|f| self.intern_format(&f));
        Ok(ActionKind::Printa { format, aggs })
    }

    /// A statement that is only an aggregation: `@a;` or `@a[k];`.
    pub(super) fn agg_statement(&mut self, e: &Expr) -> Diag {
        let name = match &e.kind {
            ExprKind::Agg(name) => {
                if !self.aggs.contains_key(name) {
                    return Diag::new(
                        "D_IDENT_UNDEF",
                        e.span,
                        format!("failed to resolve @{name}: Unknown variable name"),
                    );
                }
                name
            }
            ExprKind::Index { base, .. } => match &base.kind {
                ExprKind::Agg(name) => name,
                _ => return Diag::new("D_UNKNOWN", e.span, "internal error: not an aggregation"),
            },
            _ => return Diag::new("D_UNKNOWN", e.span, "internal error: not an aggregation"),
        };
        Diag::new(
            "D_AGG_NULL",
            e.span,
            format!("expression has null effect: @{name}"),
        )
    }

    /// `@name[keys] = func(args)`.
    pub(super) fn aggregation(&mut self, lhs: &Expr, rhs: &Expr, span: Span) -> Result<Action> {
        let (name, key_exprs): (&str, &[Expr]) = match &lhs.kind {
            ExprKind::Agg(n) => (n, &[]),
            ExprKind::Index { base, index } => match &base.kind {
                ExprKind::Agg(n) => (n, index),
                _ => {
                    return Err(Diag::new(
                        "D_UNKNOWN",
                        span,
                        "internal error: not an aggregation",
                    ));
                }
            },
            _ => {
                return Err(Diag::new(
                    "D_UNKNOWN",
                    span,
                    "internal error: not an aggregation",
                ));
            }
        };
        // The function is cooked first, then must be an aggregating one.
        let (func, fspan, vals) = match &rhs.kind {
            ExprKind::Call {
                name: func,
                name_span,
                args,
            } => {
                let (vals, _) = self.cook_call(func, *name_span, args)?;
                (func.as_str(), *name_span, vals)
            }
            _ => {
                self.value(rhs)?;
                ("", rhs.span, Vec::new())
            }
        };
        if protos::lookup(func).map(|f| f.kind) != Some(FnKind::Agg) {
            return Err(Diag::new(
                "D_AGG_FUNC",
                span,
                format!("@{name} must be assigned the result of an aggregating function"),
            ));
        }
        let existing = self.aggs.get(name).copied();
        if let Some(id) = existing {
            let previous = self.agg_infos[id.0 as usize].func;
            if agg_func_name(previous) != func {
                let line = self.agg_lines.get(name).map_or(0, |s| (self.line_of)(*s));
                return Err(Diag::new(
                    "D_AGG_REDEF",
                    span,
                    format!(
                        "aggregation redefined: @{name}\n\t current: @{name} = {func}( )\n\tprevious: @{name} = {}( ) : line {line}",
                        agg_func_name(previous)
                    ),
                ));
            }
        }
        let keys = self.keys(key_exprs)?;
        let keys = match existing {
            Some(id) => {
                let sig = self.agg_infos[id.0 as usize].keys.clone();
                self.check_keys("@", name, &sig, keys, lhs.span)?
            }
            None => {
                self.first_keys("aggregation", &keys)?;
                keys
            }
        };
        // The checks made when the statement is compiled.
        if let Some(v) = vals.first()
            && !self.types.is_scalar(v.ty)
        {
            return Err(cc_error(
                "D_AGG_SCALAR",
                fspan,
                format!("{func}( ) argument #1 must be of scalar type"),
            ));
        }
        let (agg_func, incr_at) = match func {
            "count" => (AggFunc::Count, None),
            "sum" => (AggFunc::Sum, None),
            "avg" => (AggFunc::Avg, None),
            "min" => (AggFunc::Min, None),
            "max" => (AggFunc::Max, None),
            "stddev" => (AggFunc::Stddev, None),
            "quantize" => (AggFunc::Quantize, Some(1)),
            "lquantize" => {
                let f = self.lquantize_params(&vals, existing, span)?;
                (f, if vals.len() > 3 { Some(4) } else { None })
            }
            _ => (self.llquantize_params(&vals, existing, span)?, Some(5)),
        };
        let argmax = match agg_func {
            AggFunc::Quantize => 2,
            AggFunc::Lquantize { .. } => 5,
            _ => 6,
        };
        let mut args: Vec<TExpr> = vals.iter().take(1).cloned().collect();
        if let Some(incr) = incr_at.and_then(|i| vals.get(i)) {
            if !self.types.is_scalar(incr.ty) {
                return Err(cc_error(
                    "D_PROTO_ARG",
                    span,
                    format!(
                        "{func}( ) increment value (argument #{argmax}) must be of scalar type"
                    ),
                ));
            }
            if let Some(extra) = vals.get(incr_at.unwrap_or(0) + 1) {
                return Err(cc_error(
                    "D_PROTO_LEN",
                    extra.span,
                    format!(
                        "{func}( ) prototype mismatch: {} args passed, at most {argmax} expected",
                        argmax + vals.len() - incr_at.unwrap_or(0) - 1
                    ),
                ));
            }
            args.push(incr.clone());
        }
        let b = self.types.builtins;
        let args: Vec<TExpr> = args
            .into_iter()
            .map(|v| {
                let t = if self.types.is_signed(v.ty) {
                    b.int64
                } else {
                    b.uint64
                };
                self.convert(v, t)
            })
            .collect();
        let agg = match existing {
            Some(id) => id,
            None => {
                let id = AggId(self.agg_infos.len() as u32);
                self.agg_infos.push(AggInfo {
                    name: name.to_string(),
                    func: agg_func,
                    keys: keys.iter().map(|k| k.ty).collect(),
                    span: lhs.span,
                });
                self.aggs.insert(name.to_string(), id);
                self.agg_lines.insert(name.to_string(), lhs.span);
                id
            }
        };
        Ok(Action {
            kind: ActionKind::AggUpdate { agg, keys, args },
            span,
        })
    }

    /// `lquantize(value, base, limit[, step[, increment]])`'s parameters.
    fn lquantize_params(
        &self,
        vals: &[TExpr],
        existing: Option<AggId>,
        span: Span,
    ) -> Result<AggFunc> {
        let (Some(base), Some(limit)) = (vals.get(1), vals.get(2)) else {
            return Err(Diag::new(
                "D_UNKNOWN",
                span,
                "lquantize( ) needs a base and a limit",
            ));
        };
        let TExprKind::Int(base_v) = base.kind else {
            return Err(cc_error(
                "D_LQUANT_BASETYPE",
                base.span,
                "lquantize( ) argument #1 must be an integer constant",
            ));
        };
        if i32::try_from(base_v).is_err() {
            return Err(cc_error(
                "D_LQUANT_BASEVAL",
                base.span,
                "lquantize( ) argument #1 must be a 32-bit quantity",
            ));
        }
        let TExprKind::Int(limit_v) = limit.kind else {
            return Err(cc_error(
                "D_LQUANT_LIMTYPE",
                limit.span,
                "lquantize( ) argument #2 must be an integer constant",
            ));
        };
        if i32::try_from(limit_v).is_err() {
            return Err(cc_error(
                "D_LQUANT_LIMVAL",
                limit.span,
                "lquantize( ) argument #2 must be a 32-bit quantity",
            ));
        }
        if limit_v < base_v {
            return Err(cc_error(
                "D_LQUANT_MISMATCH",
                span,
                "lquantize( ) base (argument #1) must be less than limit (argument #2)",
            ));
        }
        let mut step = 1u64;
        if let Some(s) = vals.get(3) {
            if !is_posconst(self, s) {
                return Err(cc_error(
                    "D_LQUANT_STEPTYPE",
                    s.span,
                    "lquantize( ) argument #3 must be a non-zero positive integer constant",
                ));
            }
            step = const_value(s) as u64;
            if step > u64::from(u16::MAX) {
                return Err(cc_error(
                    "D_LQUANT_STEPVAL",
                    s.span,
                    "lquantize( ) argument #3 must be a 16-bit quantity",
                ));
            }
        }
        let levels = (limit_v - base_v) as u64 / step;
        if levels == 0 {
            return Err(cc_error(
                "D_LQUANT_STEPLARGE",
                span,
                "lquantize( ) step (argument #3) too large: must have at least one quantization level",
            ));
        }
        if levels > u64::from(u16::MAX) {
            return Err(cc_error(
                "D_LQUANT_STEPSMALL",
                span,
                "lquantize( ) step (argument #3) too small: number of quantization levels must be a 16-bit quantity",
            ));
        }
        if let Some(AggFunc::Lquantize {
            base: ob,
            step: os,
            levels: ol,
        }) = existing.map(|id| self.agg_infos[id.0 as usize].func)
        {
            let mismatch = |tag: &'static str, what: &str, expected: i64, found: i64| {
                cc_error(
                    tag,
                    span,
                    format!(
                        "lquantize( ) {what} doesn't match previous declaration: expected {expected}, found {found}"
                    ),
                )
            };
            if ob != base_v {
                return Err(mismatch(
                    "D_LQUANT_MATCHBASE",
                    "base (argument #1)",
                    ob,
                    base_v,
                ));
            }
            if i64::from(ol) * os != levels as i64 * step as i64 {
                return Err(mismatch(
                    "D_LQUANT_MATCHLIM",
                    "limit (argument #2)",
                    ob + i64::from(ol) * os,
                    base_v + levels as i64 * step as i64,
                ));
            }
            if os != step as i64 {
                return Err(mismatch(
                    "D_LQUANT_MATCHSTEP",
                    "step (argument #3)",
                    os,
                    step as i64,
                ));
            }
        }
        Ok(AggFunc::Lquantize {
            base: base_v,
            step: step as i64,
            levels: levels as u32,
        })
    }

    /// `llquantize(value, factor, low, high, nsteps[, increment])`'s
    /// parameters.
    fn llquantize_params(
        &self,
        vals: &[TExpr],
        existing: Option<AggId>,
        span: Span,
    ) -> Result<AggFunc> {
        const PARAMS: [(&str, &str, &str, &str); 4] = [
            (
                "factor",
                "D_LLQUANT_FACTORTYPE",
                "D_LLQUANT_FACTORVAL",
                "D_LLQUANT_FACTORMATCH",
            ),
            (
                "low magnitude",
                "D_LLQUANT_LOWTYPE",
                "D_LLQUANT_LOWVAL",
                "D_LLQUANT_LOWMATCH",
            ),
            (
                "high magnitude",
                "D_LLQUANT_HIGHTYPE",
                "D_LLQUANT_HIGHVAL",
                "D_LLQUANT_HIGHMATCH",
            ),
            (
                "linear steps per magnitude",
                "D_LLQUANT_NSTEPTYPE",
                "D_LLQUANT_NSTEPVAL",
                "D_LLQUANT_NSTEPMATCH",
            ),
        ];
        let mut p = [0u16; 4];
        for (i, &(what, type_tag, val_tag, _)) in PARAMS.iter().enumerate() {
            let Some(v) = vals.get(i + 1) else {
                return Err(Diag::new(
                    "D_UNKNOWN",
                    span,
                    "llquantize( ) needs four parameters",
                ));
            };
            let TExprKind::Int(x) = v.kind else {
                return Err(cc_error(
                    type_tag,
                    v.span,
                    format!(
                        "llquantize( ) argument #{} ({what}) must be an integer constant",
                        i + 1
                    ),
                ));
            };
            let Ok(x) = u16::try_from(x as u64) else {
                return Err(cc_error(
                    val_tag,
                    v.span,
                    format!(
                        "llquantize( ) argument #{} ({what}) must be an unsigned 16-bit quantity",
                        i + 1
                    ),
                ));
            };
            p[i] = x;
        }
        let [factor, low, high, nsteps] = p;
        if factor < 2 {
            return Err(cc_error(
                "D_LLQUANT_FACTORSMALL",
                span,
                "llquantize( ) factor (argument #1) must be two or more",
            ));
        }
        if low >= high {
            return Err(cc_error(
                "D_LLQUANT_MAGRANGE",
                span,
                "llquantize( ) high magnitude (argument #3) must be greater than low magnitude (argument #2)",
            ));
        }
        if nsteps < factor {
            return Err(cc_error(
                "D_LLQUANT_FACTORNSTEPS",
                span,
                "llquantize( ) factor (argument #1) must be less than or equal to the number of linear steps per magnitude (argument #4)",
            ));
        }
        let mut v = u64::from(factor);
        while v < u64::from(nsteps) {
            v = v.saturating_mul(u64::from(factor));
        }
        if nsteps % factor != 0 || v % u64::from(nsteps) != 0 {
            return Err(cc_error(
                "D_LLQUANT_FACTOREVEN",
                span,
                "llquantize( ) factor (argument #1) must evenly divide the number of steps per magnitude (argument #4), and the number of steps per magnitude must evenly divide a power of the factor",
            ));
        }
        let mut order = 1u64;
        for _ in 0..high {
            match order.checked_mul(u64::from(factor)) {
                Some(o) => order = o,
                None => {
                    return Err(cc_error(
                        "D_LLQUANT_MAGTOOBIG",
                        span,
                        format!(
                            "llquantize( ) factor ({factor}) raised to power of high magnitude ({high}) overflows 64-bits"
                        ),
                    ));
                }
            }
        }
        if let Some(AggFunc::Llquantize {
            factor: of,
            low: ol,
            high: oh,
            nsteps: on,
        }) = existing.map(|id| self.agg_infos[id.0 as usize].func)
        {
            let old = [of, ol, oh, on];
            for (i, &(what, _, _, match_tag)) in PARAMS.iter().enumerate() {
                if old[i] != p[i] {
                    return Err(cc_error(
                        match_tag,
                        span,
                        format!(
                            "llquantize( ) {what} (argument #{}) doesn't match previous declaration: expected {}, found {}",
                            i + 1,
                            old[i],
                            p[i]
                        ),
                    ));
                }
            }
        }
        Ok(AggFunc::Llquantize {
            factor,
            low,
            high,
            nsteps,
        })
    }

    /// A function call where a value is needed.
    pub(super) fn call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Expr],
        span: Span,
    ) -> Result<TExpr> {
        let b = self.types.builtins;
        let Some(def) = protos::lookup(name) else {
            return Err(Diag::new(
                "D_FUNC_UNDEF",
                name_span,
                format!("undefined function name: {name}"),
            ));
        };
        let (vals, ret) = self.cook_call(name, name_span, args)?;
        if def.kind != FnKind::Subr || is_action(name) {
            return Ok(self.action_value(def.kind, name, ret, span));
        }
        let mk = |kind, ty| TExpr { kind, ty, span };
        let strings = |c: &mut Self, vals: Vec<TExpr>| -> Result<Vec<TExpr>> {
            vals.into_iter()
                .map(|v| {
                    if c.is_strcompat(v.ty) {
                        let s = v.span;
                        c.stringof(v, s)
                    } else {
                        Ok(v)
                    }
                })
                .collect()
        };
        match name {
            "strlen" => {
                let mut vals = strings(self, vals)?;
                let s = vals.remove(0);
                if let TExprKind::Str(lit) = &s.kind {
                    return Ok(self.int_const(lit.len() as i64, b.size_t, span));
                }
                Ok(mk(
                    TExprKind::Call {
                        subr: Subr::Strlen,
                        args: vec![s],
                    },
                    b.size_t,
                ))
            }
            "strjoin" => {
                let vals = strings(self, vals)?;
                Ok(mk(
                    TExprKind::Call {
                        subr: Subr::Strjoin,
                        args: vals,
                    },
                    b.string,
                ))
            }
            "copyinstr" => {
                let mut it = vals.into_iter();
                let a = it
                    .next()
                    .ok_or_else(|| Diag::new("D_UNKNOWN", span, "copyinstr( ) needs an address"))?;
                let max = it.next().map(|v| Box::new(self.convert(v, b.size_t)));
                Ok(mk(
                    TExprKind::StrFrom {
                        addr: Box::new(self.convert(a, b.uintptr)),
                        userland: true,
                        max,
                    },
                    b.string,
                ))
            }
            "rand" => Ok(mk(
                TExprKind::Call {
                    subr: Subr::Rand,
                    args: vec![],
                },
                b.int,
            )),
            "lltostr" if vals.len() == 1 => {
                let v = vals
                    .into_iter()
                    .next()
                    .ok_or_else(|| Diag::new("D_UNKNOWN", span, "lltostr( ) needs a value"))?;
                Ok(mk(
                    TExprKind::Call {
                        subr: Subr::Lltostr,
                        args: vec![self.convert(v, b.int64)],
                    },
                    b.string,
                ))
            }
            "htons" | "ntohs" | "htonl" | "ntohl" | "htonll" | "ntohll" => {
                let (subr, ty) = match name {
                    "htons" => (Subr::Htons, b.uint16),
                    "ntohs" => (Subr::Ntohs, b.uint16),
                    "htonl" => (Subr::Htonl, b.uint32),
                    "ntohl" => (Subr::Ntohl, b.uint32),
                    "htonll" => (Subr::Htonll, b.uint64),
                    _ => (Subr::Ntohll, b.uint64),
                };
                let v = vals
                    .into_iter()
                    .next()
                    .ok_or_else(|| Diag::new("D_UNKNOWN", span, "missing argument"))?;
                Ok(mk(
                    TExprKind::Call {
                        subr,
                        args: vec![self.convert(v, ty)],
                    },
                    ty,
                ))
            }
            "progenyof" => {
                let v = vals
                    .into_iter()
                    .next()
                    .ok_or_else(|| Diag::new("D_UNKNOWN", span, "missing argument"))?;
                Ok(mk(
                    TExprKind::Call {
                        subr: Subr::Progenyof,
                        args: vec![self.convert(v, b.pid_t)],
                    },
                    b.int,
                ))
            }
            "getmajor" | "getminor" => {
                let subr = if name == "getmajor" {
                    Subr::Getmajor
                } else {
                    Subr::Getminor
                };
                Ok(mk(TExprKind::Call { subr, args: vals }, b.uint))
            }
            _ => Err(Diag::new(
                "D_UNKNOWN",
                name_span,
                format!("function {name}( ) is not supported yet"),
            )),
        }
    }
}

/// An integer constant's value (callers checked it is one).
fn const_value(e: &TExpr) -> i64 {
    match e.kind {
        TExprKind::Int(v) => v,
        _ => 0,
    }
}

/// The D name of an aggregating function.
fn agg_func_name(f: AggFunc) -> &'static str {
    match f {
        AggFunc::Count => "count",
        AggFunc::Sum => "sum",
        AggFunc::Avg => "avg",
        AggFunc::Min => "min",
        AggFunc::Max => "max",
        AggFunc::Stddev => "stddev",
        AggFunc::Quantize => "quantize",
        AggFunc::Lquantize { .. } => "lquantize",
        AggFunc::Llquantize { .. } => "llquantize",
    }
}
