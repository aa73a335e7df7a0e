//! Expressions: name resolution, C's typing rules, constant folding.
//!
//! [`Checker::expr`] may return an *object* rather than a value: a
//! [`TExprKind::Mem`] of struct or array type stands for the thing in memory
//! so that `.`, `[]` and `&` can work on its address. [`Checker::rvalue`]
//! turns such a result into a value where one is needed (char arrays become
//! strings; other aggregates are refused).

use super::Checker;
use crate::tir::*;
use crate::types::{TypeDef, TypeId};
use dtrace_syntax::ast::*;
use dtrace_syntax::diag::{Diag, Result};
use dtrace_syntax::source::Span;

impl Checker<'_> {
    pub(crate) fn builtin(&self, name: &str) -> Option<(Builtin, TypeId)> {
        let b = &self.types.builtins;
        Some(match name {
            "arg0" | "arg1" | "arg2" | "arg3" | "arg4" | "arg5" | "arg6" | "arg7" | "arg8" | "arg9" => {
                (Builtin::Arg(name.as_bytes()[3] - b'0'), b.int64)
            }
            "pid" => (Builtin::Pid, b.pid_t),
            "ppid" => (Builtin::Ppid, b.pid_t),
            "tid" => (Builtin::Tid, b.id_t),
            "uid" => (Builtin::Uid, b.uid_t),
            "gid" => (Builtin::Gid, b.gid_t),
            "execname" => (Builtin::Execname, b.string),
            "timestamp" => (Builtin::Timestamp, b.uint64),
            "vtimestamp" => (Builtin::Vtimestamp, b.uint64),
            "walltimestamp" => (Builtin::Walltimestamp, b.int64),
            "cpu" => (Builtin::Cpu, b.processorid_t),
            "id" => (Builtin::Id, b.uint_t),
            "epid" => (Builtin::Epid, b.uint_t),
            "probeprov" => (Builtin::Probeprov, b.string),
            "probemod" => (Builtin::Probemod, b.string),
            "probefunc" => (Builtin::Probefunc, b.string),
            "probename" => (Builtin::Probename, b.string),
            "errno" => (Builtin::Errno, b.int),
            "curthread" => (Builtin::Curthread, b.void_ptr),
            "stackdepth" => (Builtin::Stackdepth, b.uint32),
            "ustackdepth" => (Builtin::Ustackdepth, b.uint32),
            "caller" => (Builtin::Caller, b.uintptr),
            "ucaller" => (Builtin::Ucaller, b.uint64),
            _ => return None,
        })
    }

    fn texpr(&self, kind: TExprKind, ty: TypeId, span: Span) -> TExpr {
        TExpr { kind, ty, span }
    }

    pub(crate) fn int_const(&self, v: i64, ty: TypeId, span: Span) -> TExpr {
        TExpr {
            kind: TExprKind::Int(self.truncate(v, ty)),
            ty,
            span,
        }
    }

    /// `v` converted to integer type `ty` (wrap, then sign- or zero-extend).
    pub(crate) fn truncate(&self, v: i64, ty: TypeId) -> i64 {
        let size = self.types.size_of(ty, 8);
        if !self.types.is_integer(ty) || size >= 8 || size == 0 {
            return v;
        }
        let bits = size * 8;
        let mask = (1u64 << bits) - 1;
        let u = (v as u64) & mask;
        if self.types.is_signed(ty) && u & (1 << (bits - 1)) != 0 {
            (u | !mask) as i64
        } else {
            u as i64
        }
    }

    /// Evaluates a constant integer expression (array sizes, enumerators,
    /// aggregation parameters).
    pub(crate) fn const_int(&mut self, e: &Expr) -> Result<i64> {
        let t = self.expr(e)?;
        match t.kind {
            TExprKind::Int(v) => Ok(v),
            _ => Err(Diag::new(
                "D_TYPE_ERR",
                e.span,
                "expression must be an integer constant",
            )),
        }
    }

    pub(crate) fn expr(&mut self, e: &Expr) -> Result<TExpr> {
        let b = self.types.builtins;
        let span = e.span;
        match &e.kind {
            ExprKind::Int {
                value,
                suffix,
                radix,
            } => {
                let ty = self.int_literal_type(*value, *suffix, *radix, span)?;
                Ok(self.texpr(TExprKind::Int(*value as i64), ty, span))
            }
            ExprKind::Char(v) => Ok(self.int_const(*v, b.char, span)),
            ExprKind::Float(_) => Err(Diag::new(
                "D_FLT_UNSUP",
                span,
                "floating-point constants are not permitted",
            )),
            ExprKind::Str(s) => {
                if s.len() as u64 >= self.strsize {
                    return Err(Diag::new(
                        "D_STR_OVERFLOW",
                        span,
                        format!(
                            "string constant exceeds maximum string size of {} bytes",
                            self.strsize
                        ),
                    ));
                }
                Ok(self.texpr(TExprKind::Str(s.clone()), b.string, span))
            }
            ExprKind::Ident(name) => self.ident(name, span),
            ExprKind::Scoped { module, name } => self.scoped_ident(module, name, span),
            ExprKind::SelfVar(name) => self.dyn_var(VarScope::Thread, "self->", name, span),
            ExprKind::ThisVar(name) => self.dyn_var(VarScope::Clause, "this->", name, span),
            ExprKind::Agg(name) => Err(Diag::new(
                "D_AGG_REF",
                span,
                format!(
                    "aggregation @{name} may only be used as the operand of an aggregating action"
                ),
            )),
            ExprKind::Unary { op, operand } => self.unary(*op, operand, span),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, span),
            ExprKind::Assign { op, lhs, rhs } => self.assign(*op, lhs, rhs, span),
            ExprKind::IncDec {
                increment,
                prefix,
                operand,
            } => self.incdec(*increment, *prefix, operand, span),
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => self.ternary(cond, then, otherwise, span),
            ExprKind::Cast { ty, operand } => {
                let to = self.type_name(ty)?;
                let v = self.expr(operand)?;
                let v = self.rvalue(v)?;
                self.cast(v, to, span)
            }
            ExprKind::SizeofType(t) => {
                let ty = self.type_name(t)?;
                let size = self.types.size_of(ty, self.strsize);
                if size == 0 {
                    return Err(Diag::new(
                        "D_SIZEOF_TYPE",
                        span,
                        "sizeof operator cannot be applied to an incomplete or void type",
                    ));
                }
                Ok(self.int_const(size as i64, b.size_t, span))
            }
            ExprKind::SizeofExpr(inner) => {
                let v = self.expr(inner)?;
                let size = self.types.size_of(v.ty, self.strsize);
                if size == 0 {
                    return Err(Diag::new(
                        "D_SIZEOF_TYPE",
                        span,
                        "sizeof operator cannot be applied to an expression of incomplete or void type",
                    ));
                }
                Ok(self.int_const(size as i64, b.size_t, span))
            }
            ExprKind::Offsetof { ty, member } => {
                let t = self.type_name(ty)?;
                if !self.types.is_struct(t) {
                    return Err(Diag::new(
                        "D_OFFSETOF_TYPE",
                        span,
                        "offsetof operand must be a struct or union type",
                    ));
                }
                let mut cur = t;
                let mut bits = 0u64;
                for part in member.split('.') {
                    let Some((mt, off, bf)) = self.types.find_member(cur, part) else {
                        return Err(Diag::new(
                            "D_UNKNOWN",
                            span,
                            format!("{} is not a member of {}", part, self.types.name(cur)),
                        ));
                    };
                    if bf != 0 {
                        return Err(Diag::new(
                            "D_OFFSETOF_BITFIELD",
                            span,
                            format!("cannot take offset of a bit-field: {part}"),
                        ));
                    }
                    bits += off;
                    cur = mt;
                }
                Ok(self.int_const((bits / 8) as i64, b.size_t, span))
            }
            ExprKind::Stringof(inner) => {
                let v = self.expr(inner)?;
                self.stringof(v, span)
            }
            ExprKind::Xlate { .. } => Err(Diag::new(
                "D_XLATE_NONE",
                span,
                "translators are not supported yet",
            )),
            ExprKind::Call {
                name,
                name_span,
                args,
            } => self.call(name, *name_span, args, span),
            ExprKind::Index { base, index } => self.index(base, index, span),
            ExprKind::Member {
                base,
                member,
                arrow,
            } => self.member(base, member, *arrow, span),
            ExprKind::Comma { lhs, rhs } => {
                let l = self.expr(lhs)?;
                let l = self.rvalue(l)?;
                let r = self.expr(rhs)?;
                let r = self.rvalue(r)?;
                let ty = r.ty;
                Ok(self.texpr(
                    TExprKind::Comma {
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    ty,
                    span,
                ))
            }
        }
    }

    /// C's rule for the type of an integer constant: the first of a list of
    /// types that can represent the value, the list chosen by suffix and
    /// radix.
    fn int_literal_type(&self, v: u64, suffix: IntSuffix, radix: Radix, span: Span) -> Result<TypeId> {
        let b = &self.types.builtins;
        let decimal = radix == Radix::Decimal;
        let candidates: &[TypeId] = match (suffix.unsigned, suffix.longs, decimal) {
            (false, 0, true) => &[b.int, b.long, b.ulong],
            (false, 0, false) => &[b.int, b.uint, b.long, b.ulong],
            (true, 0, _) => &[b.uint, b.ulong],
            (false, 1, _) => &[b.long, b.ulong],
            (true, 1, _) => &[b.ulong],
            (false, _, _) => &[b.longlong, b.ulonglong],
            (true, _, _) => &[b.ulonglong],
        };
        for &t in candidates {
            let size = self.types.size_of(t, 8);
            let max = if self.types.is_signed(t) {
                (1u64 << (size * 8 - 1)) - 1
            } else if size == 8 {
                u64::MAX
            } else {
                (1u64 << (size * 8)) - 1
            };
            if v <= max {
                return Ok(t);
            }
        }
        Err(Diag::new(
            "D_INT_OFLOW",
            span,
            "integer constant is too large",
        ))
    }

    fn ident(&mut self, name: &str, span: Span) -> Result<TExpr> {
        if let Some(&id) = self.globals.get(name) {
            let v = self.var(id).clone();
            if v.scope == VarScope::Assoc {
                return Err(Diag::new(
                    "D_ASSOC_NOIDX",
                    span,
                    format!("{name} is an associative array and must be indexed"),
                ));
            }
            return Ok(self.var_expr(id, span));
        }
        if let Some((bi, ty)) = self.builtin(name) {
            if let Builtin::Curthread = bi {
                let ty = self.curthread_type();
                return Ok(self.texpr(TExprKind::Builtin(bi), ty, span));
            }
            return Ok(self.texpr(TExprKind::Builtin(bi), ty, span));
        }
        if let Some(v) = self.expand_inline(name, span)? {
            return Ok(TExpr { span, ..v });
        }
        if let Some(&(v, ty)) = self.enumerators.get(name) {
            return Ok(self.texpr(TExprKind::Int(v), ty, span));
        }
        if name == "args" {
            return Err(Diag::new(
                "D_ARGS_NOIDX",
                span,
                "args[ ] must be indexed",
            ));
        }
        Err(Diag::new(
            "D_IDENT_UNDEF",
            span,
            format!("failed to resolve {name}: Unknown variable name"),
        ))
    }

    fn curthread_type(&mut self) -> TypeId {
        match self.btf_tag(crate::types::TagKind::Struct, "task_struct") {
            Some(t) => self.types.pointer_to(t, false),
            None => self.types.builtins.void_ptr,
        }
    }

    fn scoped_ident(&mut self, module: &str, name: &str, span: Span) -> Result<TExpr> {
        // Kernel variables by symbol: BTF only types per-CPU variables, so
        // plain globals cannot be typed yet.
        let _ = module;
        Err(Diag::new(
            "D_IDENT_UNDEF",
            span,
            format!("failed to resolve `{name}: Unknown symbol name"),
        ))
    }

    fn var_expr(&self, id: VarId, span: Span) -> TExpr {
        let ty = self.var(id).ty;
        self.texpr(TExprKind::Var(id), ty, span)
    }

    fn dyn_var(&mut self, scope: VarScope, prefix: &str, name: &str, span: Span) -> Result<TExpr> {
        match self.lookup_var(scope, name) {
            Some(id) => Ok(self.var_expr(id, span)),
            None => Err(Diag::new(
                "D_IDENT_UNDEF",
                span,
                format!("failed to resolve {prefix}{name}: Unknown variable name"),
            )),
        }
    }

    /// Converts an expression result into a value: char arrays become
    /// strings; other arrays decay to a pointer to their first element.
    pub(crate) fn rvalue(&mut self, e: TExpr) -> Result<TExpr> {
        if let TExprKind::Mem { .. } = &e.kind {
            match self.types.kind(e.ty).clone() {
                TypeDef::Array { elem, .. } => {
                    if self.types.is_char_string_like(e.ty) {
                        let span = e.span;
                        return self.stringof(e, span);
                    }
                    let span = e.span;
                    let ptr = self.types.pointer_to(elem, false);
                    let addr = self.address_of(e)?;
                    return Ok(TExpr { ty: ptr, span, ..addr });
                }
                TypeDef::Struct(_) => {}
                _ => {}
            }
        }
        Ok(e)
    }

    /// The address of an object in memory, as a pointer-typed value.
    pub(crate) fn address_of(&mut self, e: TExpr) -> Result<TExpr> {
        match e.kind {
            TExprKind::Mem { addr, userland } => {
                let ty = self.types.pointer_to(e.ty, userland);
                Ok(TExpr { ty, ..*addr })
            }
            _ => Err(Diag::new(
                "D_ADDROF_LVAL",
                e.span,
                "unary & operator requires an lvalue as an operand",
            )),
        }
    }

    pub(crate) fn stringof(&mut self, v: TExpr, span: Span) -> Result<TExpr> {
        let b = self.types.builtins;
        if self.types.is_string(v.ty) {
            return Ok(v);
        }
        if let TExprKind::Mem { .. } = v.kind {
            if self.types.is_array(v.ty) {
                let userland = matches!(v.kind, TExprKind::Mem { userland: true, .. });
                let len = self.types.size_of(v.ty, self.strsize);
                let addr = self.address_of(v)?;
                return Ok(self.texpr(
                    TExprKind::StrFrom {
                        addr: Box::new(addr),
                        userland,
                        max: Some(Box::new(self.int_const(len as i64, b.size_t, span))),
                    },
                    b.string,
                    span,
                ));
            }
        }
        if self.types.is_pointer(v.ty) {
            let userland = self.types.is_userland_pointer(v.ty);
            return Ok(self.texpr(
                TExprKind::StrFrom {
                    addr: Box::new(v),
                    userland,
                    max: None,
                },
                b.string,
                span,
            ));
        }
        if self.types.is_integer(v.ty) {
            return Ok(self.texpr(
                TExprKind::Call {
                    subr: Subr::Lltostr,
                    args: vec![v],
                },
                b.string,
                span,
            ));
        }
        Err(Diag::new(
            "D_STRINGOF_TYPE",
            span,
            format!(
                "stringof( ) operand must be a string, scalar or array: {}",
                self.types.name(v.ty)
            ),
        ))
    }

    fn type_err(&self, tag: &'static str, span: Span, msg: String) -> Diag {
        Diag::new(tag, span, msg)
    }

    fn unary(&mut self, op: UnaryOp, operand: &Expr, span: Span) -> Result<TExpr> {
        let b = self.types.builtins;
        let v = self.expr(operand)?;
        match op {
            UnaryOp::AddrOf => {
                if matches!(v.kind, TExprKind::Mem { .. }) {
                    let r = self.address_of(v)?;
                    return Ok(TExpr { span, ..r });
                }
                Err(self.type_err(
                    "D_ADDROF_LVAL",
                    span,
                    "unary & operator requires an lvalue as an operand".into(),
                ))
            }
            UnaryOp::Deref => {
                let v = self.rvalue(v)?;
                let Some(target) = self.types.referent(v.ty).filter(|_| self.types.is_pointer(v.ty)) else {
                    return Err(self.type_err(
                        "D_DEREF_NONPTR",
                        span,
                        "unary * operator requires a pointer operand".into(),
                    ));
                };
                if self.types.is_void(target) {
                    return Err(self.type_err(
                        "D_DEREF_VOID",
                        span,
                        "cannot dereference pointer to type void".into(),
                    ));
                }
                let userland = self.types.is_userland_pointer(v.ty);
                Ok(self.texpr(
                    TExprKind::Mem {
                        addr: Box::new(v),
                        userland,
                    },
                    target,
                    span,
                ))
            }
            UnaryOp::Not => {
                let v = self.rvalue(v)?;
                if !self.types.is_scalar(v.ty) {
                    return Err(self.type_err(
                        "D_OP_SCALAR",
                        span,
                        "operator ! requires an operand of scalar type".into(),
                    ));
                }
                if let TExprKind::Int(x) = v.kind {
                    return Ok(self.int_const((x == 0) as i64, b.int, span));
                }
                Ok(self.texpr(
                    TExprKind::Unary {
                        op,
                        operand: Box::new(v),
                    },
                    b.int,
                    span,
                ))
            }
            UnaryOp::Neg | UnaryOp::Plus | UnaryOp::BitNot => {
                let v = self.rvalue(v)?;
                let ok = if op == UnaryOp::BitNot {
                    self.types.is_integer(v.ty)
                } else {
                    self.types.is_arith(v.ty)
                };
                if !ok {
                    let (tag, what) = if op == UnaryOp::BitNot {
                        ("D_OP_INT", "integral")
                    } else {
                        ("D_OP_ARITH", "arithmetic")
                    };
                    return Err(self.type_err(
                        tag,
                        span,
                        format!("operator {} requires an operand of {what} type", op.symbol()),
                    ));
                }
                let ty = self.types.promote(v.ty);
                if let TExprKind::Int(x) = v.kind {
                    let r = match op {
                        UnaryOp::Neg => x.wrapping_neg(),
                        UnaryOp::BitNot => !x,
                        _ => x,
                    };
                    return Ok(self.int_const(r, ty, span));
                }
                if op == UnaryOp::Plus {
                    return Ok(TExpr { ty, span, ..v });
                }
                Ok(self.texpr(
                    TExprKind::Unary {
                        op,
                        operand: Box::new(v),
                    },
                    ty,
                    span,
                ))
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> Result<TExpr> {
        let l = self.expr(lhs)?;
        let l = self.rvalue(l)?;
        let r = self.expr(rhs)?;
        let r = self.rvalue(r)?;
        self.binary_values(op, l, r, span)
    }

    pub(crate) fn binary_values(&mut self, op: BinaryOp, l: TExpr, r: TExpr, span: Span) -> Result<TExpr> {
        use BinaryOp::*;
        let b = self.types.builtins;
        match op {
            LogAnd | LogOr | LogXor => {
                for v in [&l, &r] {
                    if !self.types.is_scalar(v.ty) {
                        return Err(self.type_err(
                            "D_OP_SCALAR",
                            span,
                            format!("operator {} requires operands of scalar type", op.symbol()),
                        ));
                    }
                }
                if let (TExprKind::Int(x), TExprKind::Int(y)) = (&l.kind, &r.kind) {
                    let (x, y) = (*x != 0, *y != 0);
                    let v = match op {
                        LogAnd => x && y,
                        LogOr => x || y,
                        _ => x ^ y,
                    };
                    return Ok(self.int_const(v as i64, b.int, span));
                }
                Ok(self.texpr(
                    TExprKind::Logical {
                        op,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    b.int,
                    span,
                ))
            }
            Lt | Le | Gt | Ge | Eq | Ne => self.compare(op, l, r, span),
            Add | Sub if self.types.is_pointer(l.ty) || self.types.is_pointer(r.ty) => {
                self.pointer_arith(op, l, r, span)
            }
            Mul | Div | Mod | Add | Sub => {
                if !self.types.is_arith(l.ty) || !self.types.is_arith(r.ty) {
                    return Err(self.type_err(
                        "D_OP_ARITH",
                        span,
                        format!("operator {} requires operands of arithmetic type", op.symbol()),
                    ));
                }
                self.int_binary(op, l, r, span)
            }
            Shl | Shr | BitAnd | BitOr | BitXor => {
                if !self.types.is_integer(l.ty) || !self.types.is_integer(r.ty) {
                    return Err(self.type_err(
                        "D_OP_INT",
                        span,
                        format!("operator {} requires operands of integral type", op.symbol()),
                    ));
                }
                self.int_binary(op, l, r, span)
            }
        }
    }

    fn int_binary(&mut self, op: BinaryOp, l: TExpr, r: TExpr, span: Span) -> Result<TExpr> {
        use BinaryOp::*;
        if self.types.is_float(l.ty) || self.types.is_float(r.ty) {
            return Err(self.type_err(
                "D_OP_ARITH",
                span,
                format!("operator {} does not support floating-point operands", op.symbol()),
            ));
        }
        let ty = if matches!(op, Shl | Shr) {
            self.types.promote(l.ty)
        } else {
            self.types.arith_result(l.ty, r.ty)
        };
        let signed = self.types.is_signed(ty);
        if let (TExprKind::Int(x), TExprKind::Int(y)) = (&l.kind, &r.kind) {
            let (x, y) = (*x, *y);
            let (ux, uy) = (x as u64, y as u64);
            let v = match op {
                Add => x.wrapping_add(y),
                Sub => x.wrapping_sub(y),
                Mul => x.wrapping_mul(y),
                Div | Mod if y == 0 => {
                    return Err(self.type_err(
                        "D_DIV_ZERO",
                        span,
                        if op == Div {
                            "expression contains division by zero".into()
                        } else {
                            "expression contains modulus by zero".into()
                        },
                    ));
                }
                Div if signed => x.wrapping_div(y),
                Div => (ux / uy) as i64,
                Mod if signed => x.wrapping_rem(y),
                Mod => (ux % uy) as i64,
                Shl => ux.wrapping_shl(uy as u32) as i64,
                Shr if signed => self.truncate(x, ty).wrapping_shr(uy as u32),
                Shr => {
                    let xv = self.truncate(x, ty) as u64;
                    let size = self.types.size_of(ty, 8);
                    let xv = if size < 8 { xv & ((1u64 << (size * 8)) - 1) } else { xv };
                    xv.wrapping_shr(uy as u32) as i64
                }
                BitAnd => x & y,
                BitOr => x | y,
                BitXor => x ^ y,
                _ => unreachable!("non-arithmetic operator"),
            };
            return Ok(self.int_const(v, ty, span));
        }
        let l = self.convert(l, ty);
        let r = if matches!(op, Shl | Shr) { r } else { self.convert(r, ty) };
        Ok(self.texpr(
            TExprKind::Binary {
                op,
                lhs: Box::new(l),
                rhs: Box::new(r),
                signed,
            },
            ty,
            span,
        ))
    }

    fn pointer_arith(&mut self, op: BinaryOp, l: TExpr, r: TExpr, span: Span) -> Result<TExpr> {
        let b = self.types.builtins;
        let lp = self.types.is_pointer(l.ty);
        let rp = self.types.is_pointer(r.ty);
        if lp && rp {
            if op != BinaryOp::Sub || self.types.resolve(l.ty) != self.types.resolve(r.ty) {
                return Err(self.incompatible(op.symbol(), &l, &r, span));
            }
            let scale = self.referent_size(l.ty);
            return Ok(self.texpr(
                TExprKind::PtrDiff {
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                    scale,
                },
                b.long,
                span,
            ));
        }
        let (ptr, int) = if lp { (l, r) } else { (r, l) };
        if !self.types.is_integer(int.ty) || (op == BinaryOp::Sub && !lp) {
            return Err(self.incompatible(op.symbol(), &ptr, &int, span));
        }
        let scale = self.referent_size(ptr.ty);
        let ty = ptr.ty;
        Ok(self.texpr(
            TExprKind::PtrArith {
                sub: op == BinaryOp::Sub,
                ptr: Box::new(ptr),
                int: Box::new(int),
                scale,
            },
            ty,
            span,
        ))
    }

    fn referent_size(&self, ptr: TypeId) -> u64 {
        // Arithmetic on void * steps by bytes, as GNU C and DTrace do.
        self.types
            .referent(ptr)
            .map(|t| self.types.size_of(t, self.strsize).max(1))
            .unwrap_or(1)
    }

    pub(crate) fn incompatible(&self, op: &str, l: &TExpr, r: &TExpr, span: Span) -> Diag {
        Diag::new(
            "D_OP_INCOMPAT",
            span,
            format!(
                "operands have incompatible types: \"{}\" {} \"{}\"",
                self.types.name(l.ty),
                op,
                self.types.name(r.ty)
            ),
        )
    }

    fn compare(&mut self, op: BinaryOp, l: TExpr, r: TExpr, span: Span) -> Result<TExpr> {
        let b = self.types.builtins;
        let ls = self.types.is_string(l.ty);
        let rs = self.types.is_string(r.ty);
        if ls || rs {
            // A string compares with a string or anything that reads as one
            // (char * and char arrays).
            let other = if ls { &r } else { &l };
            if !(self.types.is_string(other.ty) || self.types.is_char_string_like(other.ty)) {
                return Err(self.incompatible(op.symbol(), &l, &r, span));
            }
            let l = self.stringof(l, span)?;
            let r = self.stringof(r, span)?;
            if let (TExprKind::Str(x), TExprKind::Str(y)) = (&l.kind, &r.kind) {
                let o = x.cmp(y);
                return Ok(self.int_const(cmp_holds(op, o) as i64, b.int, span));
            }
            return Ok(self.texpr(
                TExprKind::Compare {
                    op,
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                    kind: CompareKind::String,
                },
                b.int,
                span,
            ));
        }
        let lp = self.types.is_pointer(l.ty);
        let rp = self.types.is_pointer(r.ty);
        let ok = (self.types.is_integer(l.ty) || lp) && (self.types.is_integer(r.ty) || rp);
        if !ok {
            return Err(self.type_err(
                "D_OP_SCALAR",
                span,
                format!("operator {} requires operands of scalar type", op.symbol()),
            ));
        }
        let (kind, l, r) = if lp || rp {
            (CompareKind::Unsigned, l, r)
        } else {
            let ty = self.types.arith_result(l.ty, r.ty);
            let kind = if self.types.is_signed(ty) {
                CompareKind::Signed
            } else {
                CompareKind::Unsigned
            };
            (kind, self.convert(l, ty), self.convert(r, ty))
        };
        if let (TExprKind::Int(x), TExprKind::Int(y)) = (&l.kind, &r.kind) {
            let o = if kind == CompareKind::Signed {
                x.cmp(y)
            } else {
                (*x as u64).cmp(&(*y as u64))
            };
            return Ok(self.int_const(cmp_holds(op, o) as i64, b.int, span));
        }
        Ok(self.texpr(
            TExprKind::Compare {
                op,
                lhs: Box::new(l),
                rhs: Box::new(r),
                kind,
            },
            b.int,
            span,
        ))
    }

    fn ternary(&mut self, cond: &Expr, then: &Expr, otherwise: &Expr, span: Span) -> Result<TExpr> {
        let c = self.expr(cond)?;
        let c = self.rvalue(c)?;
        if !self.types.is_scalar(c.ty) {
            return Err(self.type_err(
                "D_OP_SCALAR",
                cond.span,
                "operator ?: requires a scalar first operand".into(),
            ));
        }
        let t = self.expr(then)?;
        let t = self.rvalue(t)?;
        let o = self.expr(otherwise)?;
        let o = self.rvalue(o)?;
        let ty = if self.types.is_integer(t.ty) && self.types.is_integer(o.ty) {
            self.types.arith_result(t.ty, o.ty)
        } else if self.types.is_string(t.ty) || self.types.is_string(o.ty) {
            let ok = |c: &Self, e: &TExpr| c.types.is_string(e.ty) || c.types.is_char_string_like(e.ty);
            if !ok(self, &t) || !ok(self, &o) {
                return Err(self.type_err(
                    "D_OP_INCOMPAT",
                    span,
                    "operator ?: operands must have compatible types".into(),
                ));
            }
            self.types.builtins.string
        } else if self.types.is_pointer(t.ty) && self.types.is_pointer(o.ty)
            || self.types.is_pointer(t.ty) && matches!(o.kind, TExprKind::Int(0))
        {
            t.ty
        } else if self.types.is_pointer(o.ty) && matches!(t.kind, TExprKind::Int(0)) {
            o.ty
        } else {
            return Err(self.type_err(
                "D_OP_INCOMPAT",
                span,
                "operator ?: operands must have compatible types".into(),
            ));
        };
        let (t, o) = if self.types.is_string(ty) {
            (self.stringof(t, span)?, self.stringof(o, span)?)
        } else {
            (self.convert(t, ty), self.convert(o, ty))
        };
        if let TExprKind::Int(x) = c.kind {
            return Ok(TExpr {
                span,
                ..if x != 0 { t } else { o }
            });
        }
        Ok(self.texpr(
            TExprKind::Ternary {
                cond: Box::new(c),
                then: Box::new(t),
                otherwise: Box::new(o),
            },
            ty,
            span,
        ))
    }

    /// An implicit conversion to `ty` (no checks: callers checked).
    pub(crate) fn convert(&self, v: TExpr, ty: TypeId) -> TExpr {
        if self.types.resolve(v.ty) == self.types.resolve(ty) {
            return TExpr { ty, ..v };
        }
        if self.types.is_string(ty) {
            return v;
        }
        if let TExprKind::Int(x) = v.kind {
            return self.int_const(x, ty, v.span);
        }
        let span = v.span;
        // Widening between integer types of the same signedness needs no
        // code: values are kept sign- or zero-extended to 64 bits.
        let (fs, ts) = (self.types.size_of(v.ty, 8), self.types.size_of(ty, 8));
        if self.types.is_integer(v.ty) && self.types.is_integer(ty) && ts == 8 && (fs == 8 || self.types.is_signed(v.ty) || !self.types.is_signed(ty)) {
            return TExpr { ty, ..v };
        }
        if self.types.is_pointer(ty) && (self.types.is_pointer(v.ty) || fs == 8) {
            return TExpr { ty, ..v };
        }
        TExpr {
            kind: TExprKind::Cast(Box::new(v)),
            ty,
            span,
        }
    }

    fn cast(&mut self, v: TExpr, to: TypeId, span: Span) -> Result<TExpr> {
        if self.types.is_void(to) {
            return Ok(TExpr { ty: to, span, ..v });
        }
        let from_scalar = self.types.is_scalar(v.ty);
        let to_scalar = self.types.is_scalar(to);
        if !(from_scalar && to_scalar) {
            return Err(self.type_err(
                "D_CAST_INVAL",
                span,
                format!(
                    "invalid cast expression: \"{}\" to \"{}\"",
                    self.types.name(v.ty),
                    self.types.name(to)
                ),
            ));
        }
        let r = self.convert(v, to);
        Ok(TExpr { span, ..r })
    }

    /// Checks that `v` may be stored into an object of type `ty`.
    pub(crate) fn check_assignable(&self, ty: TypeId, v: &TExpr, span: Span, op: &str) -> Result<()> {
        let t = &self.types;
        let ok = if t.is_string(ty) {
            t.is_string(v.ty) || t.is_char_string_like(v.ty)
        } else if t.is_integer(ty) {
            t.is_integer(v.ty)
        } else if t.is_pointer(ty) {
            t.is_pointer(v.ty) || matches!(v.kind, TExprKind::Int(0)) || t.is_integer(v.ty)
        } else {
            t.resolve(ty) == t.resolve(v.ty)
        };
        if ok {
            Ok(())
        } else {
            Err(Diag::new(
                "D_OP_INCOMPAT",
                span,
                format!(
                    "operands have incompatible types: \"{}\" {} \"{}\"",
                    t.name(ty),
                    op,
                    t.name(v.ty)
                ),
            ))
        }
    }

    /// The target of an assignment, creating the variable at its first
    /// assignment with the type of the value.
    fn lvalue(&mut self, lhs: &Expr, value_ty: Option<TypeId>, op: &str) -> Result<(LValue, TypeId)> {
        let lval_err = |span| {
            Diag::new(
                "D_OP_LVAL",
                span,
                format!("operator {op} requires modifiable lvalue as an operand"),
            )
        };
        match &lhs.kind {
            ExprKind::Ident(name) => {
                if let Some(&id) = self.globals.get(name) {
                    let v = self.var(id);
                    if v.scope == VarScope::Assoc {
                        return Err(Diag::new(
                            "D_ASSOC_NOIDX",
                            lhs.span,
                            format!("{name} is an associative array and must be indexed"),
                        ));
                    }
                    return Ok((LValue::Var(id), v.ty));
                }
                if self.builtin(name).is_some()
                    || self.enumerators.contains_key(name)
                    || self.inlines.contains_key(name)
                {
                    return Err(lval_err(lhs.span));
                }
                let Some(ty) = value_ty else {
                    return Err(Diag::new(
                        "D_IDENT_UNDEF",
                        lhs.span,
                        format!("failed to resolve {name}: Unknown variable name"),
                    ));
                };
                let id = self.new_var(name, VarScope::Global, ty, Vec::new());
                Ok((LValue::Var(id), ty))
            }
            ExprKind::SelfVar(name) | ExprKind::ThisVar(name) => {
                let (scope, prefix) = if matches!(lhs.kind, ExprKind::SelfVar(_)) {
                    (VarScope::Thread, "self->")
                } else {
                    (VarScope::Clause, "this->")
                };
                if let Some(id) = self.lookup_var(scope, name) {
                    return Ok((LValue::Var(id), self.var(id).ty));
                }
                let Some(ty) = value_ty else {
                    return Err(Diag::new(
                        "D_IDENT_UNDEF",
                        lhs.span,
                        format!("failed to resolve {prefix}{name}: Unknown variable name"),
                    ));
                };
                let id = self.new_var(name, scope, ty, Vec::new());
                Ok((LValue::Var(id), ty))
            }
            ExprKind::Index { base, index } => {
                let ExprKind::Ident(name) = &base.kind else {
                    return Err(lval_err(lhs.span));
                };
                let keys = self.keys(index)?;
                if let Some(&id) = self.globals.get(name) {
                    let v = self.var(id).clone();
                    if v.scope != VarScope::Assoc {
                        return Err(lval_err(lhs.span));
                    }
                    let keys = self.check_keys(name, &v.keys, keys, lhs.span)?;
                    return Ok((LValue::Assoc { var: id, keys }, v.ty));
                }
                if self.builtin(name).is_some() || name == "args" {
                    return Err(lval_err(lhs.span));
                }
                let Some(ty) = value_ty else {
                    return Err(Diag::new(
                        "D_IDENT_UNDEF",
                        lhs.span,
                        format!("failed to resolve {name}: Unknown variable name"),
                    ));
                };
                let key_types = keys.iter().map(|k| k.ty).collect();
                let id = self.new_var(name, VarScope::Assoc, ty, key_types);
                Ok((LValue::Assoc { var: id, keys }, ty))
            }
            _ => {
                let t = self.expr(lhs)?;
                if matches!(t.kind, TExprKind::Mem { .. }) {
                    return Err(Diag::new(
                        "D_OP_WRITE",
                        lhs.span,
                        format!("operator {op} cannot be applied to a kernel or user memory object: use copyout( ) to write user memory"),
                    ));
                }
                Err(lval_err(lhs.span))
            }
        }
    }

    /// Key expressions of an associative array or aggregation.
    pub(crate) fn keys(&mut self, index: &[Expr]) -> Result<Vec<TExpr>> {
        let mut out = Vec::new();
        for k in index {
            let t = self.expr(k)?;
            let t = self.rvalue(t)?;
            if !self.types.is_scalar(t.ty) && !self.types.is_string(t.ty) {
                return Err(Diag::new(
                    "D_KEY_TYPE",
                    k.span,
                    format!("invalid key type: {}", self.types.name(t.ty)),
                ));
            }
            out.push(t);
        }
        Ok(out)
    }

    /// Checks keys against an array's signature and converts them.
    pub(crate) fn check_keys(&mut self, name: &str, sig: &[TypeId], keys: Vec<TExpr>, span: Span) -> Result<Vec<TExpr>> {
        if sig.len() != keys.len() {
            return Err(Diag::new(
                "D_ARR_BADREF",
                span,
                format!(
                    "{name}[ ] used with {} key{} when {} expected",
                    keys.len(),
                    if keys.len() == 1 { "" } else { "s" },
                    sig.len()
                ),
            ));
        }
        let mut out = Vec::new();
        for (i, (k, &t)) in keys.into_iter().zip(sig).enumerate() {
            let ok = if self.types.is_string(t) {
                self.types.is_string(k.ty) || self.types.is_char_string_like(k.ty)
            } else {
                self.types.is_scalar(k.ty) && !self.types.is_string(k.ty)
            };
            if !ok {
                return Err(Diag::new(
                    "D_ARR_BADREF",
                    k.span,
                    format!(
                        "{name}[ ] key #{} is incompatible with prototype:\n\tprototype: {}\n\t argument: {}",
                        i + 1,
                        self.types.name(t),
                        self.types.name(k.ty)
                    ),
                ));
            }
            let span = k.span;
            out.push(if self.types.is_string(t) {
                self.stringof(k, span)?
            } else {
                self.convert(k, t)
            });
        }
        Ok(out)
    }

    fn assign(&mut self, op: Option<BinaryOp>, lhs: &Expr, rhs: &Expr, span: Span) -> Result<TExpr> {
        let sym = match op {
            None => "=".to_string(),
            Some(o) => format!("{}=", o.symbol()),
        };
        if matches!(&lhs.kind, ExprKind::Agg(_))
            || matches!(&lhs.kind, ExprKind::Index { base, .. } if matches!(base.kind, ExprKind::Agg(_)))
        {
            return Err(Diag::new(
                "D_AGG_SCALAR",
                span,
                "aggregating actions may only be used as statements".to_string(),
            ));
        }
        let v = self.expr(rhs)?;
        let mut v = self.rvalue(v)?;
        if self.types.is_void(v.ty) {
            return Err(Diag::new(
                "D_OP_VOID",
                rhs.span,
                format!("operator {sym} cannot be applied to a void expression"),
            ));
        }
        // New variables take the value's type; char pointers and arrays
        // become strings only where the variable is already a string.
        let value_ty = if matches!(v.kind, TExprKind::Int(_)) && self.types.is_integer(v.ty) {
            self.types.promote(v.ty)
        } else {
            v.ty
        };
        let (target, ty) = self.lvalue(lhs, Some(value_ty), &sym)?;
        if let Some(o) = op {
            // `x op= v` is checked as `x op v` assigned to x.
            let cur = TExpr {
                kind: TExprKind::Int(0),
                ty,
                span: lhs.span,
            };
            let probe = self.binary_values(o, cur, v.clone(), span)?;
            if !self.types.is_scalar(probe.ty) {
                return Err(self.incompatible(&sym, &probe, &v, span));
            }
            if self.types.is_integer(ty) {
                v = self.convert(v, ty);
            }
        } else {
            self.check_assignable(ty, &v, span, &sym)?;
            v = if self.types.is_string(ty) {
                self.stringof(v, span)?
            } else {
                self.convert(v, ty)
            };
        }
        Ok(self.texpr(
            TExprKind::Assign {
                target,
                op,
                value: Box::new(v),
            },
            ty,
            span,
        ))
    }

    fn incdec(&mut self, increment: bool, prefix: bool, operand: &Expr, span: Span) -> Result<TExpr> {
        let sym = if increment { "++" } else { "--" };
        // A variable first seen in `x++` is created as a 64-bit integer.
        let created = self.types.typedef("int64_t").unwrap_or(self.types.builtins.long);
        let (target, ty) = self.lvalue(operand, Some(created), sym)?;
        let step = if self.types.is_pointer(ty) {
            self.referent_size(ty)
        } else if self.types.is_integer(ty) {
            1
        } else {
            return Err(Diag::new(
                "D_OP_SCALAR",
                span,
                format!("operator {sym} requires an operand of scalar type"),
            ));
        };
        Ok(self.texpr(
            TExprKind::IncDec {
                target,
                increment,
                prefix,
                step,
            },
            ty,
            span,
        ))
    }

    fn index(&mut self, base: &Expr, index: &[Expr], span: Span) -> Result<TExpr> {
        if let ExprKind::Ident(name) = &base.kind {
            if name == "args" && !self.globals.contains_key(name) {
                if index.len() != 1 {
                    return Err(Diag::new(
                        "D_ARGS_MULTI",
                        span,
                        "args[ ] may only be indexed by a single integer",
                    ));
                }
                let i = self.const_int(&index[0]).map_err(|_| {
                    Diag::new(
                        "D_ARGS_IDX",
                        index[0].span,
                        "args[ ] index must be an integer constant",
                    )
                })?;
                if !(0..10).contains(&i) {
                    return Err(Diag::new(
                        "D_ARGS_IDX",
                        index[0].span,
                        format!("index {i} is out of range for args[ ]"),
                    ));
                }
                let ty = self.arg_type(i as usize, span)?;
                return Ok(self.texpr(TExprKind::TypedArg(i as u8), ty, span));
            }
            if let Some(&id) = self.globals.get(name) {
                let v = self.var(id).clone();
                if v.scope == VarScope::Assoc {
                    let keys = self.keys(index)?;
                    let keys = self.check_keys(name, &v.keys, keys, span)?;
                    return Ok(self.texpr(TExprKind::AssocGet { var: id, keys }, v.ty, span));
                }
            } else if self.builtin(name).is_none()
                && !self.inlines.contains_key(name)
                && !self.enumerators.contains_key(name)
            {
                return Err(Diag::new(
                    "D_IDENT_UNDEF",
                    base.span,
                    format!("failed to resolve {name}: Unknown variable name"),
                ));
            }
        }
        // Pointer or array indexing: base[i] is *(base + i).
        let b = self.expr(base)?;
        if index.len() != 1 {
            return Err(Diag::new(
                "D_IDX_MULTI",
                span,
                "array index requires exactly one subscript",
            ));
        }
        let i = self.expr(&index[0])?;
        let i = self.rvalue(i)?;
        if !self.types.is_integer(i.ty) {
            return Err(Diag::new(
                "D_OP_INT",
                index[0].span,
                "operator [ ] requires an index of integral type",
            ));
        }
        if let TypeDef::Array { elem, len } = self.types.kind(b.ty).clone() {
            if let TExprKind::Int(n) = i.kind {
                if len > 0 && (n < 0 || n as u64 >= len) {
                    return Err(Diag::new(
                        "D_ARR_BOUNDS",
                        index[0].span,
                        format!("index {n} is out of range for array of {len} elements"),
                    ));
                }
            }
            let userland = matches!(b.kind, TExprKind::Mem { userland: true, .. });
            let addr = self.address_of(b)?;
            let ptr = self.types.pointer_to(elem, userland);
            let addr = TExpr { ty: ptr, ..addr };
            let scale = self.types.size_of(elem, self.strsize).max(1);
            let sum = self.texpr(
                TExprKind::PtrArith {
                    sub: false,
                    ptr: Box::new(addr),
                    int: Box::new(i),
                    scale,
                },
                ptr,
                span,
            );
            return Ok(self.texpr(
                TExprKind::Mem {
                    addr: Box::new(sum),
                    userland,
                },
                elem,
                span,
            ));
        }
        let b = self.rvalue(b)?;
        if !self.types.is_pointer(b.ty) {
            return Err(Diag::new(
                "D_OP_PTR",
                span,
                "operator [ ] requires a pointer or array operand",
            ));
        }
        let elem = self.types.referent(b.ty).unwrap_or(self.types.builtins.void);
        if self.types.is_void(elem) {
            return Err(Diag::new(
                "D_DEREF_VOID",
                span,
                "cannot dereference pointer to type void",
            ));
        }
        let userland = self.types.is_userland_pointer(b.ty);
        let scale = self.types.size_of(elem, self.strsize).max(1);
        let ty = b.ty;
        let sum = self.texpr(
            TExprKind::PtrArith {
                sub: false,
                ptr: Box::new(b),
                int: Box::new(i),
                scale,
            },
            ty,
            span,
        );
        Ok(self.texpr(
            TExprKind::Mem {
                addr: Box::new(sum),
                userland,
            },
            elem,
            span,
        ))
    }

    fn member(&mut self, base: &Expr, member: &str, arrow: bool, span: Span) -> Result<TExpr> {
        let b = self.expr(base)?;
        let (obj_ty, addr, userland) = if arrow {
            let b = self.rvalue(b)?;
            let Some(target) = self.types.referent(b.ty).filter(|_| self.types.is_pointer(b.ty)) else {
                return Err(Diag::new(
                    "D_OP_PTR",
                    span,
                    format!(
                        "operator -> must be applied to a pointer, not {}",
                        self.types.name(b.ty)
                    ),
                ));
            };
            let userland = self.types.is_userland_pointer(b.ty);
            (target, b, userland)
        } else {
            if !matches!(b.kind, TExprKind::Mem { .. }) || !self.types.is_struct(b.ty) {
                return Err(Diag::new(
                    "D_OP_SOU",
                    span,
                    format!(
                        "operator . must be applied to a struct or union, not {}",
                        self.types.name(b.ty)
                    ),
                ));
            }
            let userland = matches!(b.kind, TExprKind::Mem { userland: true, .. });
            let ty = b.ty;
            (ty, self.address_of(b)?, userland)
        };
        crate::btf::import::complete(self, obj_ty);
        if !self.types.is_struct(obj_ty) {
            return Err(Diag::new(
                "D_OP_SOU",
                span,
                format!(
                    "operator {} cannot be applied to type {}",
                    if arrow { "->" } else { "." },
                    self.types.name(obj_ty)
                ),
            ));
        }
        let Some((mty, bit_off, bits)) = self.types.find_member(obj_ty, member) else {
            return Err(Diag::new(
                "D_MEMBER_NAME",
                span,
                format!("{} is not a member of {}", member, self.types.name(obj_ty)),
            ));
        };
        let byte_off = bit_off / 8;
        let b = self.types.builtins;
        let ptr_ty = self.types.pointer_to(mty, userland);
        let addr = if byte_off == 0 {
            TExpr { ty: ptr_ty, ..addr }
        } else {
            let off = self.int_const(byte_off as i64, b.long, span);
            let a = TExpr { ty: b.uintptr, ..addr };
            self.texpr(
                TExprKind::PtrArith {
                    sub: false,
                    ptr: Box::new(a),
                    int: Box::new(off),
                    scale: 1,
                },
                ptr_ty,
                span,
            )
        };
        if bits != 0 {
            let container = self.types.size_of(mty, 8) as u32;
            return Ok(self.texpr(
                TExprKind::BitField {
                    addr: Box::new(addr),
                    userland,
                    bit_offset: (bit_off % 8) as u32,
                    bits,
                    container: container.max(1),
                },
                mty,
                span,
            ));
        }
        Ok(self.texpr(
            TExprKind::Mem {
                addr: Box::new(addr),
                userland,
            },
            mty,
            span,
        ))
    }
}

fn cmp_holds(op: BinaryOp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        BinaryOp::Lt => o == Less,
        BinaryOp::Le => o != Greater,
        BinaryOp::Gt => o == Greater,
        BinaryOp::Ge => o != Less,
        BinaryOp::Eq => o == Equal,
        _ => o != Equal,
    }
}
