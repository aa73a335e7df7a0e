//! Actions, aggregations and subroutine calls.
//!
//! D separates *actions* (which record data or act on the tracing session:
//! `trace`, `printf`, `exit`, aggregation updates) from *subroutines* (which
//! compute a value in probe context: `strlen`, `copyinstr`). Actions are
//! statements; a subroutine is an expression. Each is checked against its
//! prototype here, with DTrace's `D_PROTO_*` errors.

use super::Checker;
use crate::tir::*;
use crate::types::TypeId;
use dtrace_syntax::ast::*;
use dtrace_syntax::diag::{Diag, Result};
use dtrace_syntax::source::Span;

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
    "pcap",
];

const AGG_FUNCS: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "stddev",
    "quantize",
    "lquantize",
    "llquantize",
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

fn proto_len(name: &str, span: Span, passed: usize, expected: &str) -> Diag {
    Diag::new(
        "D_PROTO_LEN",
        span,
        format!(
            "{name}( ) prototype mismatch: {passed} arg{} passed, {expected} expected",
            if passed == 1 { "" } else { "s" }
        ),
    )
}

impl Checker<'_> {
    fn arg_count(&self, name: &str, span: Span, args: &[Expr], min: usize, max: usize) -> Result<()> {
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                format!("{min}")
            } else if args.len() < min {
                format!("at least {min}")
            } else {
                format!("no more than {max}")
            };
            return Err(proto_len(name, span, args.len(), &expected));
        }
        Ok(())
    }

    fn value(&mut self, e: &Expr) -> Result<TExpr> {
        let t = self.expr(e)?;
        self.rvalue(t)
    }

    fn proto_arg(&self, name: &str, i: usize, want: &str, got: TypeId, span: Span) -> Diag {
        Diag::new(
            "D_PROTO_ARG",
            span,
            format!(
                "{name}( ) argument #{} is incompatible with prototype:\n\tprototype: {want}\n\t argument: {}",
                i + 1,
                self.types.name(got)
            ),
        )
    }

    fn scalar_arg(&mut self, name: &str, i: usize, e: &Expr, want: &str) -> Result<TExpr> {
        let v = self.value(e)?;
        if !self.types.is_scalar(v.ty) {
            return Err(self.proto_arg(name, i, want, v.ty, e.span));
        }
        Ok(v)
    }

    fn string_arg(&mut self, name: &str, i: usize, e: &Expr) -> Result<TExpr> {
        let v = self.value(e)?;
        if !self.types.is_string(v.ty) && !self.types.is_char_string_like(v.ty) {
            return Err(self.proto_arg(name, i, "string", v.ty, e.span));
        }
        let span = v.span;
        self.stringof(v, span)
    }

    fn string_literal<'e>(&self, name: &str, e: &'e Expr) -> Result<&'e [u8]> {
        match &e.kind {
            ExprKind::Str(s) => Ok(s),
            _ => Err(Diag::new(
                "D_PRINTF_ARG_FMT",
                e.span,
                format!("{name}( ) argument #1 must be a string constant"),
            )),
        }
    }

    fn agg_arg(&mut self, name: &str, e: &Expr) -> Result<AggId> {
        let ExprKind::Agg(a) = &e.kind else {
            return Err(Diag::new(
                "D_AGG_NULL? ".trim_end_matches("? "),
                e.span,
                format!("{name}( ) argument must be an aggregation"),
            ));
        };
        self.lookup_agg(a, e.span)
    }

    fn lookup_agg(&self, name: &str, span: Span) -> Result<AggId> {
        match self.aggs.get(name) {
            Some(&id) => Ok(id),
            None => Err(Diag::new(
                "D_IDENT_UNDEF",
                span,
                format!("failed to resolve @{name}: Unknown aggregation name"),
            )),
        }
    }

    pub(super) fn action(&mut self, name: &str, name_span: Span, args: &[Expr], span: Span) -> Result<Action> {
        if DESTRUCTIVE.contains(&name) {
            self.note_destructive();
        }
        let b = self.types.builtins;
        let kind = match name {
            "trace" => {
                self.arg_count(name, name_span, args, 1, 1)?;
                let v = self.value(&args[0])?;
                if self.types.is_void(v.ty) {
                    return Err(Diag::new(
                        "D_TRACE_VOID",
                        args[0].span,
                        "trace( ) may not be applied to a void expression",
                    ));
                }
                if !self.types.is_scalar(v.ty) && !self.types.is_string(v.ty) {
                    return Err(Diag::new(
                        "D_TRACE_DYN",
                        args[0].span,
                        format!(
                            "trace( ) may not be applied to a value of type {} yet",
                            self.types.name(v.ty)
                        ),
                    ));
                }
                ActionKind::Trace(v)
            }
            "printf" | "system" | "freopen" => {
                if args.is_empty() {
                    return Err(proto_len(name, name_span, 0, "at least 1"));
                }
                let fmt = self.string_literal(name, &args[0])?.to_vec();
                let mut vals = Vec::new();
                for a in &args[1..] {
                    let v = self.value(a)?;
                    vals.push(v);
                }
                let vals = self.check_printf(name, &fmt, vals, args[0].span)?;
                let format = self.intern_format(&fmt);
                match name {
                    "printf" => ActionKind::Printf { format, args: vals },
                    "system" => ActionKind::System { format, args: vals },
                    _ => ActionKind::Freopen { format, args: vals },
                }
            }
            "printa" => {
                if args.is_empty() {
                    return Err(proto_len(name, name_span, 0, "at least 1"));
                }
                let (format, rest) = match &args[0].kind {
                    ExprKind::Str(s) => {
                        let f = s.clone();
                        (Some(f), &args[1..])
                    }
                    _ => (None, args),
                };
                if rest.is_empty() {
                    return Err(Diag::new(
                        "D_PRINTA_AGGARG",
                        span,
                        "printa( ) argument #2 must be an aggregation",
                    ));
                }
                let mut aggs = Vec::new();
                for (i, a) in rest.iter().enumerate() {
                    let ExprKind::Agg(n) = &a.kind else {
                        return Err(Diag::new(
                            "D_PRINTA_AGGARG",
                            a.span,
                            format!(
                                "printa( ) argument #{} must be an aggregation",
                                i + 1 + (format.is_some() as usize)
                            ),
                        ));
                    };
                    aggs.push(self.lookup_agg(n, a.span)?);
                }
                if format.is_none() && aggs.len() > 1 {
                    return Err(Diag::new(
                        "D_PRINTA_PROTO",
                        span,
                        "printa( ) requires a format string to print more than one aggregation",
                    ));
                }
                let format = format.map(|f| self.intern_format(&f));
                ActionKind::Printa { format, aggs }
            }
            "exit" => {
                self.arg_count(name, name_span, args, 1, 1)?;
                let v = self.scalar_arg(name, 0, &args[0], "int")?;
                if !self.types.is_integer(v.ty) {
                    return Err(self.proto_arg(name, 0, "int", v.ty, args[0].span));
                }
                ActionKind::Exit(self.convert(v, b.int))
            }
            "clear" | "denormalize" => {
                self.arg_count(name, name_span, args, 1, 1)?;
                let a = self.agg_arg(name, &args[0])?;
                if name == "clear" {
                    ActionKind::Clear(a)
                } else {
                    ActionKind::Denormalize(a)
                }
            }
            "trunc" => {
                self.arg_count(name, name_span, args, 1, 2)?;
                let a = self.agg_arg(name, &args[0])?;
                let n = match args.get(1) {
                    Some(e) => {
                        let v = self.scalar_arg(name, 1, e, "int64_t")?;
                        Some(self.convert(v, b.int64))
                    }
                    None => None,
                };
                ActionKind::Trunc(a, n)
            }
            "normalize" => {
                self.arg_count(name, name_span, args, 2, 2)?;
                let a = self.agg_arg(name, &args[0])?;
                let v = self.scalar_arg(name, 1, &args[1], "uint64_t")?;
                ActionKind::Normalize(a, self.convert(v, b.uint64))
            }
            "setopt" => {
                self.arg_count(name, name_span, args, 1, 2)?;
                let opt = String::from_utf8_lossy(self.string_literal(name, &args[0])?).into_owned();
                let val = match args.get(1) {
                    Some(e) => Some(String::from_utf8_lossy(self.string_literal(name, e)?).into_owned()),
                    None => None,
                };
                ActionKind::Setopt(opt, val)
            }
            "stack" | "ustack" => {
                self.arg_count(name, name_span, args, 0, 2)?;
                let n = match args.first() {
                    Some(e) => Some(self.const_int(e)? as u32),
                    None => None,
                };
                if name == "stack" {
                    ActionKind::Stack(n)
                } else {
                    ActionKind::Ustack(n)
                }
            }
            "raise" => {
                self.arg_count(name, name_span, args, 1, 1)?;
                let v = self.scalar_arg(name, 0, &args[0], "int")?;
                ActionKind::Raise(self.convert(v, b.int))
            }
            "stop" => {
                self.arg_count(name, name_span, args, 0, 0)?;
                ActionKind::Stop
            }
            "ftruncate" => {
                self.arg_count(name, name_span, args, 0, 0)?;
                ActionKind::Ftruncate
            }
            "tracemem" => {
                self.arg_count(name, name_span, args, 2, 3)?;
                let addr = self.scalar_arg(name, 0, &args[0], "void *")?;
                let size = self.const_int(&args[1])?;
                if size <= 0 {
                    return Err(Diag::new(
                        "D_TRACEMEM_SIZE",
                        args[1].span,
                        "tracemem( ) argument #2 must be a non-zero positive integer constant",
                    ));
                }
                ActionKind::Tracemem(addr, size as u32)
            }
            _ => {
                return Err(Diag::new(
                    "D_ACT_UNSUP",
                    name_span,
                    format!("{name}( ) is not supported yet"),
                ));
            }
        };
        Ok(Action { kind, span })
    }

    /// `@name[keys] = func(args)`.
    pub(super) fn aggregation(&mut self, lhs: &Expr, rhs: &Expr, span: Span) -> Result<Action> {
        let (name, key_exprs): (&str, &[Expr]) = match &lhs.kind {
            ExprKind::Agg(n) => (n, &[]),
            ExprKind::Index { base, index } => match &base.kind {
                ExprKind::Agg(n) => (n, index),
                _ => unreachable!("caller checked"),
            },
            _ => unreachable!("caller checked"),
        };
        if self.in_predicate_context() {
            return Err(Diag::new(
                "D_AGG_SCALAR",
                span,
                "aggregations may not be used in predicates",
            ));
        }
        let ExprKind::Call {
            name: func,
            name_span,
            args,
        } = &rhs.kind
        else {
            return Err(Diag::new(
                "D_AGG_FUNC",
                rhs.span,
                format!("@{name} must be assigned the result of an aggregating function"),
            ));
        };
        if !AGG_FUNCS.contains(&func.as_str()) {
            return Err(Diag::new(
                "D_AGG_FUNC",
                rhs.span,
                format!("@{name} must be assigned the result of an aggregating function"),
            ));
        }
        let b = self.types.builtins;
        let fname = func.as_str();
        let (agg_func, vals) = match fname {
            "count" => {
                self.arg_count(fname, *name_span, args, 0, 0)?;
                (AggFunc::Count, vec![])
            }
            "sum" | "avg" | "min" | "max" | "stddev" => {
                self.arg_count(fname, *name_span, args, 1, 1)?;
                let v = self.scalar_arg(fname, 0, &args[0], "uint64_t")?;
                let f = match fname {
                    "sum" => AggFunc::Sum,
                    "avg" => AggFunc::Avg,
                    "min" => AggFunc::Min,
                    "max" => AggFunc::Max,
                    _ => AggFunc::Stddev,
                };
                (f, vec![v])
            }
            "quantize" => {
                self.arg_count(fname, *name_span, args, 1, 2)?;
                let mut vals = vec![self.scalar_arg(fname, 0, &args[0], "uint64_t")?];
                if let Some(e) = args.get(1) {
                    vals.push(self.scalar_arg(fname, 1, e, "uint64_t")?);
                }
                (AggFunc::Quantize, vals)
            }
            "lquantize" => {
                self.arg_count(fname, *name_span, args, 3, 5)?;
                let v = self.scalar_arg(fname, 0, &args[0], "uint64_t")?;
                let base = self.const_int(&args[1]).map_err(|_| {
                    Diag::new(
                        "D_LQUANT_BASETYPE",
                        args[1].span,
                        "lquantize( ) argument #2 must be an integer constant",
                    )
                })?;
                let limit = self.const_int(&args[2]).map_err(|_| {
                    Diag::new(
                        "D_LQUANT_LIMTYPE",
                        args[2].span,
                        "lquantize( ) argument #3 must be an integer constant",
                    )
                })?;
                let step = match args.get(3) {
                    Some(e) => self.const_int(e).map_err(|_| {
                        Diag::new(
                            "D_LQUANT_STEPTYPE",
                            e.span,
                            "lquantize( ) argument #4 must be an integer constant",
                        )
                    })?,
                    None => 1,
                };
                if step <= 0 {
                    return Err(Diag::new(
                        "D_LQUANT_STEPVAL",
                        args.get(3).map_or(rhs.span, |e| e.span),
                        "lquantize( ) step must be greater than zero",
                    ));
                }
                if limit <= base {
                    return Err(Diag::new(
                        "D_LQUANT_MISMATCH",
                        args[2].span,
                        "lquantize( ) limit must be greater than base",
                    ));
                }
                let levels = (limit - base) / step;
                if levels > u16::MAX as i64 || (limit - base) % step != 0 && levels == 0 {
                    return Err(Diag::new(
                        "D_LQUANT_STEPLARGE",
                        rhs.span,
                        "lquantize( ) number of levels is too large",
                    ));
                }
                let mut vals = vec![v];
                if let Some(e) = args.get(4) {
                    vals.push(self.scalar_arg(fname, 4, e, "uint64_t")?);
                }
                (
                    AggFunc::Lquantize {
                        base,
                        step,
                        levels: levels as u32,
                    },
                    vals,
                )
            }
            _ => {
                // llquantize(value, factor, low, high, nsteps[, incr])
                self.arg_count(fname, *name_span, args, 5, 6)?;
                let v = self.scalar_arg(fname, 0, &args[0], "uint64_t")?;
                let mut p = [0i64; 4];
                for (i, slot) in p.iter_mut().enumerate() {
                    *slot = self.const_int(&args[i + 1]).map_err(|_| {
                        Diag::new(
                            "D_LLQUANT_FACTORTYPE",
                            args[i + 1].span,
                            format!("llquantize( ) argument #{} must be an integer constant", i + 2),
                        )
                    })?;
                }
                let [factor, low, high, nsteps] = p;
                if !(2..=u16::MAX as i64).contains(&factor) {
                    return Err(Diag::new(
                        "D_LLQUANT_FACTORVAL",
                        args[1].span,
                        "llquantize( ) factor (argument #2) must be at least 2",
                    ));
                }
                if !(0..=u16::MAX as i64).contains(&low) {
                    return Err(Diag::new(
                        "D_LLQUANT_LOWVAL",
                        args[2].span,
                        "llquantize( ) low magnitude (argument #3) must be non-negative",
                    ));
                }
                if high < low || high > u16::MAX as i64 {
                    return Err(Diag::new(
                        "D_LLQUANT_HIGHVAL",
                        args[3].span,
                        "llquantize( ) high magnitude (argument #4) must be at least the low magnitude",
                    ));
                }
                if nsteps < factor || nsteps > u16::MAX as i64 || nsteps % factor != 0 {
                    return Err(Diag::new(
                        "D_LLQUANT_NSTEPVAL",
                        args[4].span,
                        "llquantize( ) number of steps (argument #5) must be a multiple of the factor",
                    ));
                }
                let mut vals = vec![v];
                if let Some(e) = args.get(5) {
                    vals.push(self.scalar_arg(fname, 5, e, "uint64_t")?);
                }
                (
                    AggFunc::Llquantize {
                        factor: factor as u16,
                        low: low as u16,
                        high: high as u16,
                        nsteps: nsteps as u16,
                    },
                    vals,
                )
            }
        };
        let vals: Vec<TExpr> = vals
            .into_iter()
            .map(|v| {
                let t = if self.types.is_signed(v.ty) { b.int64 } else { b.uint64 };
                self.convert(v, t)
            })
            .collect();
        let keys = self.keys(key_exprs)?;
        let agg = match self.aggs.get(name).copied() {
            Some(id) => {
                let info = self.agg_infos[id.0 as usize].clone();
                if info.func != agg_func {
                    return Err(Diag::new(
                        "D_AGG_REDEF",
                        rhs.span,
                        format!("aggregation redefined: @{name}"),
                    ));
                }
                let keys = self.check_keys(&format!("@{name}"), &info.keys, keys, lhs.span)?;
                return Ok(Action {
                    kind: ActionKind::AggUpdate {
                        agg: id,
                        keys,
                        args: vals,
                    },
                    span,
                });
            }
            None => {
                let id = AggId(self.agg_infos.len() as u32);
                self.agg_infos.push(AggInfo {
                    name: name.to_string(),
                    func: agg_func,
                    keys: keys.iter().map(|k| self.key_type(k.ty)).collect(),
                    span: lhs.span,
                });
                self.aggs.insert(name.to_string(), id);
                id
            }
        };
        let sig = self.agg_infos[agg.0 as usize].keys.clone();
        let keys = self.check_keys(&format!("@{name}"), &sig, keys, lhs.span)?;
        Ok(Action {
            kind: ActionKind::AggUpdate {
                agg,
                keys,
                args: vals,
            },
            span,
        })
    }

    /// The type a key is stored as: strings stay strings, integers keep
    /// their type (printing uses it), char pointers stay pointers.
    fn key_type(&self, t: TypeId) -> TypeId {
        t
    }

    fn in_predicate_context(&self) -> bool {
        false
    }

    /// Value-returning subroutine calls.
    pub(super) fn call(&mut self, name: &str, name_span: Span, args: &[Expr], span: Span) -> Result<TExpr> {
        let b = self.types.builtins;
        if is_action(name) {
            return Err(Diag::new(
                "D_ACT_EXPR",
                span,
                format!("{name}( ) may only be used as a statement"),
            ));
        }
        if AGG_FUNCS.contains(&name) {
            return Err(Diag::new(
                "D_AGG_FUNC",
                span,
                format!("{name}( ) may only be used as the value of an aggregation"),
            ));
        }
        let mk = |kind, ty| TExpr { kind, ty, span };
        match name {
            "strlen" => {
                self.arg_count(name, name_span, args, 1, 1)?;
                let s = self.string_arg(name, 0, &args[0])?;
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
                self.arg_count(name, name_span, args, 2, 2)?;
                let a = self.string_arg(name, 0, &args[0])?;
                let c = self.string_arg(name, 1, &args[1])?;
                Ok(mk(
                    TExprKind::Call {
                        subr: Subr::Strjoin,
                        args: vec![a, c],
                    },
                    b.string,
                ))
            }
            "copyinstr" => {
                self.arg_count(name, name_span, args, 1, 2)?;
                let a = self.scalar_arg(name, 0, &args[0], "uintptr_t")?;
                let max = match args.get(1) {
                    Some(e) => {
                        let v = self.scalar_arg(name, 1, e, "size_t")?;
                        Some(Box::new(self.convert(v, b.size_t)))
                    }
                    None => None,
                };
                Ok(mk(
                    TExprKind::StrFrom {
                        addr: Box::new(self.convert(a, b.uintptr)),
                        userland: true,
                        max,
                    },
                    b.string,
                ))
            }
            "rand" => {
                self.arg_count(name, name_span, args, 0, 0)?;
                Ok(mk(
                    TExprKind::Call {
                        subr: Subr::Rand,
                        args: vec![],
                    },
                    b.int,
                ))
            }
            "lltostr" => {
                self.arg_count(name, name_span, args, 1, 1)?;
                let v = self.scalar_arg(name, 0, &args[0], "int64_t")?;
                Ok(mk(
                    TExprKind::Call {
                        subr: Subr::Lltostr,
                        args: vec![self.convert(v, b.int64)],
                    },
                    b.string,
                ))
            }
            "htons" | "ntohs" | "htonl" | "ntohl" | "htonll" | "ntohll" => {
                self.arg_count(name, name_span, args, 1, 1)?;
                let v = self.scalar_arg(name, 0, &args[0], "uint64_t")?;
                let (subr, ty) = match name {
                    "htons" => (Subr::Htons, b.uint16),
                    "ntohs" => (Subr::Ntohs, b.uint16),
                    "htonl" => (Subr::Htonl, b.uint32),
                    "ntohl" => (Subr::Ntohl, b.uint32),
                    "htonll" => (Subr::Htonll, b.uint64),
                    _ => (Subr::Ntohll, b.uint64),
                };
                Ok(mk(
                    TExprKind::Call {
                        subr,
                        args: vec![v],
                    },
                    ty,
                ))
            }
            "progenyof" => {
                self.arg_count(name, name_span, args, 1, 1)?;
                let v = self.scalar_arg(name, 0, &args[0], "pid_t")?;
                Ok(mk(
                    TExprKind::Call {
                        subr: Subr::Progenyof,
                        args: vec![self.convert(v, b.pid_t)],
                    },
                    b.int,
                ))
            }
            "getmajor" | "getminor" => {
                self.arg_count(name, name_span, args, 1, 1)?;
                let v = self.scalar_arg(name, 0, &args[0], "dev_t")?;
                let subr = if name == "getmajor" { Subr::Getmajor } else { Subr::Getminor };
                Ok(mk(
                    TExprKind::Call {
                        subr,
                        args: vec![v],
                    },
                    b.uint,
                ))
            }
            _ if KNOWN_SUBRS.contains(&name) => Err(Diag::new(
                "D_FUNC_UNSUP",
                name_span,
                format!("{name}( ) is not supported yet"),
            )),
            _ => Err(Diag::new(
                "D_FUNC_UNDEF",
                name_span,
                format!("failed to resolve {name}: Unknown function name"),
            )),
        }
    }
}

/// Subroutines D defines that the compiler does not implement yet: using
/// one is reported as missing rather than unknown.
const KNOWN_SUBRS: &[&str] = &[
    "alloca",
    "basename",
    "bcopy",
    "cleanpath",
    "copyin",
    "copyinto",
    "d_path",
    "ddi_pathname",
    "dirname",
    "getf",
    "index",
    "inet_ntoa",
    "inet_ntoa6",
    "inet_ntop",
    "json",
    "link_ntop",
    "msgdsize",
    "msgsize",
    "mutex_owned",
    "mutex_owner",
    "mutex_type_adaptive",
    "mutex_type_spin",
    "rindex",
    "rw_iswriter",
    "rw_read_held",
    "rw_write_held",
    "speculation",
    "strchr",
    "strrchr",
    "strstr",
    "strtok",
    "strtoll",
    "substr",
    "tolower",
    "toupper",
    "sym",
    "func",
    "mod",
    "usym",
    "ufunc",
    "umod",
    "uaddr",
];
