//! Expressions: name resolution, D's typing rules, constant folding.
//!
//! The rules are DTrace's (`dt_cook_op1`, `dt_cook_op2`, `dt_cook_op3` and
//! `dt_node_op1`/`dt_node_op2` for folding), which differ from C's in ways
//! programs can see: there are no integer promotions (`char + char` is a
//! `char`), the usual arithmetic conversions rank types by width and
//! signedness only, shifts and unary operators keep their operand's type,
//! strings are not scalars, and constants fold in 64 bits without being
//! narrowed to their type.
//!
//! [`Checker::expr`] may return an *object* rather than a value: a
//! [`TExprKind::Mem`] of struct or array type stands for the thing in memory
//! so that `.`, `[]` and `&` can work on its address. [`Checker::rvalue`]
//! turns such a result into a value where one is needed (char arrays become
//! strings; other arrays decay to pointers).

use super::Checker;
use super::protos::{self, FnKind};
use crate::tir::*;
use crate::types::{TypeDef, TypeId};
use dtrace_syntax::ast::*;
use dtrace_syntax::diag::{Diag, Result};
use dtrace_syntax::source::Span;

/// What the left-hand side of an assignment or the operand of `++`/`--`
/// denotes.
enum Target {
    /// A variable or associative array element that exists.
    Place(LValue, TypeId),
    /// A variable this assignment creates, typed by the value assigned.
    NewVar(VarScope, String),
    /// An associative array this assignment creates, with its first keys.
    NewAssoc(String, Vec<TExpr>),
    /// Something that can be named but not written: built-in variables,
    /// inlines, enumerators, probe arguments, kernel memory.
    ReadOnly(TypeId),
    /// A value that is not an lvalue at all.
    Value(TypeId),
}

impl Checker<'_> {
    pub(crate) fn builtin(&self, name: &str) -> Option<(Builtin, TypeId)> {
        let b = &self.types.builtins;
        Some(match name {
            "arg0" | "arg1" | "arg2" | "arg3" | "arg4" | "arg5" | "arg6" | "arg7" | "arg8"
            | "arg9" => (Builtin::Arg(name.as_bytes()[3] - b'0'), b.int64),
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

    /// The integer constant `v` converted to type `ty`, as a cast or an
    /// assignment converts it.
    pub(crate) fn int_const(&self, v: i64, ty: TypeId, span: Span) -> TExpr {
        TExpr {
            kind: TExprKind::Int(self.truncate(v, ty)),
            ty,
            span,
        }
    }

    /// The result of folding an operator over constants: DTrace computes
    /// it in 64 bits and gives it the operator's type without narrowing.
    fn folded(&self, v: u64, ty: TypeId, span: Span) -> TExpr {
        TExpr {
            kind: TExprKind::Int(v as i64),
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
    /// bit-field widths); `None` if it is not one.
    pub(crate) fn const_int(&mut self, e: &Expr) -> Result<Option<i64>> {
        let t = self.expr(e)?;
        Ok(match t.kind {
            TExprKind::Int(v) if self.types.is_integer(t.ty) => Some(v),
            _ => None,
        })
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
                let decimal = *radix == Radix::Decimal;
                let ty = self
                    .types
                    .int_literal_type(*value, suffix.unsigned, suffix.longs, decimal)
                    .ok_or_else(|| super::parse_checks::int_overflow(*value, e))?;
                Ok(self.texpr(TExprKind::Int(*value as i64), ty, span))
            }
            // Character constants are decimal integer constants: `int`.
            ExprKind::Char(v) => {
                let ty = self
                    .types
                    .int_literal_type(*v as u64, false, 0, true)
                    .unwrap_or(b.int);
                Ok(self.texpr(TExprKind::Int(*v), ty, span))
            }
            ExprKind::Float(_) => Err(Diag::new(
                "D_SYNTAX",
                span,
                "floating-point constants are not permitted",
            )),
            ExprKind::Str(s) => {
                // A string holds at most `strsize - 1` bytes: a longer
                // constant is cut there, as DTrace's copy of it would be.
                let keep = s.len().min(self.strsize.saturating_sub(1) as usize);
                let s = s.get(..keep).unwrap_or(s).to_vec();
                Ok(self.texpr(TExprKind::Str(s), b.string, span))
            }
            ExprKind::Ident(name) => self.ident(name, span),
            ExprKind::Scoped { module, name } => self.scoped_ident(module, name, span),
            ExprKind::SelfVar(name) => self.dyn_var(VarScope::Thread, "self->", name, span),
            ExprKind::ThisVar(name) => self.dyn_var(VarScope::Clause, "this->", name, span),
            ExprKind::Agg(name) => self.agg_value(name, span),
            ExprKind::Unary { op, operand } => self.unary(*op, operand, span),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, span),
            ExprKind::Assign { op: None, lhs, rhs } if super::is_agg_ref(lhs) => {
                // An aggregation assignment inside an expression: its value
                // is the aggregation, which is no value code can use.
                self.aggregation(lhs, rhs, span)?;
                self.pending_cg.push(Diag::new(
                    "D_CG_DYN",
                    span,
                    "expression cannot evaluate to result of a translated pointer",
                ));
                Ok(self.texpr(TExprKind::Int(0), b.dyn_aggregation, span))
            }
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
                self.cast(v, to, span)
            }
            ExprKind::SizeofType(t) => {
                let ty = self.type_name(t)?;
                let size = self.types.size_of(ty, self.strsize);
                if size == 0 {
                    return Err(sizeof_unknown(span));
                }
                Ok(self.int_const(size as i64, b.size_t, span))
            }
            ExprKind::SizeofExpr(inner) => {
                // A string constant's size is its length with the NUL.
                if let ExprKind::Str(s) = &inner.kind {
                    return Ok(self.int_const(s.len() as i64 + 1, b.size_t, span));
                }
                let v = self.expr(inner)?;
                if matches!(v.kind, TExprKind::BitField { .. }) {
                    return Err(Diag::new(
                        "D_SIZEOF_BITFIELD",
                        span,
                        "cannot apply sizeof to a bit-field",
                    ));
                }
                let size = self.types.size_of(v.ty, self.strsize);
                if size == 0 {
                    return Err(sizeof_unknown(span));
                }
                Ok(self.int_const(size as i64, b.size_t, span))
            }
            ExprKind::Offsetof { ty, member } => self.offsetof(ty, member, span),
            ExprKind::Stringof(inner) => {
                let v = self.expr(inner)?;
                let ok = self.types.is_scalar(v.ty)
                    || self.types.is_array(v.ty)
                    || self.is_strcompat(v.ty);
                if !ok {
                    return Err(Diag::new(
                        "D_STRINGOF_TYPE",
                        span,
                        format!(
                            "cannot apply stringof to a value of type {}",
                            self.types.name(v.ty)
                        ),
                    ));
                }
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
                if self.types.is_dynamic(l.ty) || self.types.is_dynamic(r.ty) {
                    return Err(Diag::new(
                        "D_OP_DYN",
                        span,
                        "operator , operands cannot be of dynamic type",
                    ));
                }
                if self.is_action_value(&l) || self.is_action_value(&r) {
                    return Err(Diag::new(
                        "D_OP_ACT",
                        span,
                        "operator , operands cannot be actions",
                    ));
                }
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

    fn offsetof(&mut self, ty: &TypeName, member: &str, span: Span) -> Result<TExpr> {
        let b = self.types.builtins;
        let t = self.type_name(ty)?;
        crate::btf::import::complete(self, t);
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
            crate::btf::import::complete(self, cur);
            let Some((mt, off, bf)) = self.types.find_member(cur, part) else {
                return Err(Diag::new(
                    "D_UNKNOWN",
                    span,
                    format!("failed to determine offset of {member}: Member name not found"),
                ));
            };
            if bf != 0 {
                return Err(Diag::new(
                    "D_OFFSETOF_BITFIELD",
                    span,
                    format!("cannot take offset of a bit-field: {member}"),
                ));
            }
            bits += off;
            cur = mt;
        }
        Ok(self.int_const((bits / 8) as i64, b.size_t, span))
    }

    // -- names ---------------------------------------------------------------

    /// Whether the assignment being checked creates variable `name`.
    fn is_being_created(&self, scope: VarScope, name: &str) -> bool {
        self.creating.iter().any(|(s, n)| *s == scope && n == name)
    }

    fn ident(&mut self, name: &str, span: Span) -> Result<TExpr> {
        if self.is_being_created(VarScope::Global, name)
            || self.is_being_created(VarScope::Assoc, name)
        {
            return Err(var_undef("", name, span));
        }
        if let Some(&id) = self.globals.get(name) {
            if self.var(id).scope == VarScope::Assoc {
                return Err(bad_ref("associative array", name, "scalar", span));
            }
            return Ok(self.var_expr(id, span));
        }
        if let Some((bi, ty)) = self.builtin(name) {
            let ty = if let Builtin::Curthread = bi {
                self.curthread_type()
            } else {
                ty
            };
            return Ok(self.texpr(TExprKind::Builtin(bi), ty, span));
        }
        if let Some(v) = self.expand_inline(name, span)? {
            return Ok(TExpr { span, ..v });
        }
        if let Some(&(v, ty)) = self.enumerators.get(name) {
            return Ok(self.texpr(TExprKind::Int(v), ty, span));
        }
        if name == "args" {
            return Err(bad_ref("associative array", name, "scalar", span));
        }
        if let Some(f) = protos::lookup(name) {
            return Err(bad_ref(f.kind.name(), name, "scalar", span));
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
        Err(Diag::new(
            "D_IDENT_UNDEF",
            span,
            format!("failed to resolve {module}`{name}: Unknown symbol name"),
        ))
    }

    fn var_expr(&self, id: VarId, span: Span) -> TExpr {
        let ty = self.var(id).ty;
        self.texpr(TExprKind::Var(id), ty, span)
    }

    /// A `self->` or `this->` variable read. DTrace creates such variables
    /// on first mention, so reading one that was never assigned is not an
    /// unknown name but a variable without a value.
    fn dyn_var(&mut self, scope: VarScope, prefix: &str, name: &str, span: Span) -> Result<TExpr> {
        if self.is_being_created(scope, name) {
            return Err(var_undef(prefix, name, span));
        }
        match self.lookup_var(scope, name) {
            Some(id) => Ok(self.var_expr(id, span)),
            None => Err(var_undef(prefix, name, span)),
        }
    }

    /// `@name` used as a value.
    fn agg_value(&mut self, name: &str, span: Span) -> Result<TExpr> {
        if !self.aggs.contains_key(name) {
            return Err(Diag::new(
                "D_IDENT_UNDEF",
                span,
                format!("failed to resolve @{name}: Unknown variable name"),
            ));
        }
        Ok(self.texpr(TExprKind::Int(0), self.types.builtins.dyn_aggregation, span))
    }

    /// Whether `e` is an action's "value" (see [`Checker::action_value`]).
    pub(crate) fn is_action_value(&self, e: &TExpr) -> bool {
        matches!(e.kind, TExprKind::Int(0))
            && self
                .pending_cg
                .iter()
                .any(|d| d.span == Some(e.span) && d.message.starts_with("tracing function"))
    }

    /// An action or aggregating function called where a value is needed:
    /// DTrace types the call (`void`, or dynamic for aggregating functions)
    /// and only its code generator refuses it, so the call stands for a
    /// placeholder value and the refusal is kept for the end of the
    /// statement, in case a type error comes first.
    pub(crate) fn action_value(
        &mut self,
        kind: FnKind,
        name: &str,
        ret: Option<TypeId>,
        span: Span,
    ) -> TExpr {
        self.pending_cg.push(Diag::new(
            "D_CG_EXPR",
            span,
            format!(
                "{} {name}( ) may not be called from a D expression (D program context required)",
                kind.name()
            ),
        ));
        let ty = match kind {
            FnKind::Agg => self.types.builtins.dyn_aggfunc,
            _ => ret.unwrap_or(self.types.builtins.void),
        };
        self.texpr(TExprKind::Int(0), ty, span)
    }

    // -- values ----------------------------------------------------------------

    /// Converts an expression result into a value: char arrays become
    /// strings; other arrays decay to a pointer to their first element.
    pub(crate) fn rvalue(&mut self, e: TExpr) -> Result<TExpr> {
        if let TExprKind::Mem { .. } = &e.kind
            && let TypeDef::Array { elem, .. } = self.types.kind(e.ty).clone()
        {
            let span = e.span;
            if self.types.is_char_string_like(e.ty) {
                return self.stringof(e, span);
            }
            let ptr = self.types.pointer_to(elem, false);
            let addr = self.address_of(e)?;
            return Ok(TExpr {
                ty: ptr,
                span,
                ..addr
            });
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
                "unacceptable operand for unary & operator",
            )),
        }
    }

    /// A value converted to a string: strings as they are, char arrays and
    /// pointers read from memory, integers printed in decimal.
    pub(crate) fn stringof(&mut self, v: TExpr, span: Span) -> Result<TExpr> {
        let b = self.types.builtins;
        if self.types.is_string(v.ty) {
            return Ok(v);
        }
        if let TExprKind::Mem { .. } = v.kind
            && self.types.is_array(v.ty)
        {
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
                "cannot apply stringof to a value of type {}",
                self.types.name(v.ty)
            ),
        ))
    }

    // -- operators ---------------------------------------------------------------

    fn unary(&mut self, op: UnaryOp, operand: &Expr, span: Span) -> Result<TExpr> {
        let b = self.types.builtins;
        let v = self.expr(operand)?;
        match op {
            UnaryOp::AddrOf => {
                let is_var = matches!(
                    v.kind,
                    TExprKind::Var(_)
                        | TExprKind::AssocGet { .. }
                        | TExprKind::Builtin(_)
                        | TExprKind::TypedArg(_)
                ) || matches!(operand.kind, ExprKind::Agg(_));
                if is_var {
                    return Err(Diag::new(
                        "D_ADDROF_VAR",
                        span,
                        "cannot take address of dynamic variable",
                    ));
                }
                if self.types.is_dynamic(v.ty) {
                    return Err(Diag::new(
                        "D_ADDROF_VAR",
                        span,
                        "cannot take address of dynamic object",
                    ));
                }
                if matches!(v.kind, TExprKind::BitField { .. }) {
                    return Err(Diag::new(
                        "D_ADDROF_BITFIELD",
                        span,
                        "cannot take address of bit-field",
                    ));
                }
                if !matches!(v.kind, TExprKind::Mem { .. }) {
                    return Err(Diag::new(
                        "D_ADDROF_LVAL",
                        span,
                        "unacceptable operand for unary & operator",
                    ));
                }
                let r = self.address_of(v)?;
                Ok(TExpr { span, ..r })
            }
            UnaryOp::Deref => {
                // `*array` is its first element.
                if let (TExprKind::Mem { .. }, TypeDef::Array { elem, .. }) =
                    (&v.kind, self.types.kind(v.ty).clone())
                {
                    let userland = matches!(v.kind, TExprKind::Mem { userland: true, .. });
                    let addr = self.address_of(v)?;
                    return Ok(self.texpr(
                        TExprKind::Mem {
                            addr: Box::new(addr),
                            userland,
                        },
                        elem,
                        span,
                    ));
                }
                let v = self.rvalue(v)?;
                self.deref(v, span)
            }
            UnaryOp::Not => {
                let v = self.rvalue(v)?;
                if !self.types.is_scalar(v.ty) {
                    return Err(Diag::new(
                        "D_OP_SCALAR",
                        span,
                        "operator ! requires an operand of scalar type",
                    ));
                }
                // Folded, `!` keeps its operand's type (`dt_node_op1`).
                if let TExprKind::Int(x) = v.kind {
                    return Ok(self.folded(u64::from(x == 0), v.ty, span));
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
                if !self.types.is_integer(v.ty) {
                    let (tag, what) = if op == UnaryOp::BitNot {
                        ("D_OP_INT", "integral")
                    } else {
                        ("D_OP_ARITH", "arithmetic")
                    };
                    return Err(Diag::new(
                        tag,
                        span,
                        format!(
                            "operator {} requires an operand of {what} type",
                            op.symbol()
                        ),
                    ));
                }
                // The result has the operand's type: no promotion.
                let ty = v.ty;
                if let TExprKind::Int(x) = v.kind {
                    let x = x as u64;
                    let r = match op {
                        UnaryOp::Neg if self.types.is_signed(ty) => x.wrapping_neg(),
                        // Negating an unsigned constant keeps it within
                        // its type's width.
                        UnaryOp::Neg => {
                            let bits = self.types.size_of(ty, 8).clamp(1, 8) * 8;
                            x.wrapping_neg() & (u64::MAX >> (64 - bits))
                        }
                        UnaryOp::BitNot => !x,
                        _ => x,
                    };
                    return Ok(self.folded(r, ty, span));
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

    /// `*p`: the object `p` points to.
    fn deref(&mut self, v: TExpr, span: Span) -> Result<TExpr> {
        let Some(target) = self
            .types
            .referent(v.ty)
            .filter(|_| self.types.is_pointer(v.ty))
        else {
            return Err(Diag::new(
                "D_DEREF_NONPTR",
                span,
                "cannot dereference non-pointer type",
            ));
        };
        if self.types.is_void(target) {
            return Err(Diag::new(
                "D_DEREF_VOID",
                span,
                "cannot dereference pointer to void",
            ));
        }
        if matches!(self.types.kind(target), TypeDef::Function { .. }) {
            return Err(Diag::new(
                "D_DEREF_FUNC",
                span,
                "cannot dereference pointer to function",
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

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> Result<TExpr> {
        let l = self.expr(lhs)?;
        let l = self.rvalue(l)?;
        let r = self.expr(rhs)?;
        let r = self.rvalue(r)?;
        self.binary_values(op, l, r, span)
    }

    /// A pointer D lets `+` and `-` move: strings, and pointers to objects
    /// of known size (not `void *`, not function pointers).
    fn is_steppable(&self, ty: TypeId) -> bool {
        self.types.is_string(ty) || (self.types.is_pointer(ty) && !self.is_vfptr(ty))
    }

    /// A pointer to `void` or to a function: its referent has no size.
    fn is_vfptr(&self, ty: TypeId) -> bool {
        if !self.types.is_pointer(ty) {
            return false;
        }
        self.types.referent(ty).is_some_and(|t| {
            self.types.is_void(t) || matches!(self.types.kind(t), TypeDef::Function { .. })
        })
    }

    pub(crate) fn binary_values(
        &mut self,
        op: BinaryOp,
        l: TExpr,
        r: TExpr,
        span: Span,
    ) -> Result<TExpr> {
        use BinaryOp::*;
        let b = self.types.builtins;
        let t = &self.types;
        let ints = t.is_integer(l.ty) && t.is_integer(r.ty);
        match op {
            LogAnd | LogOr | LogXor => {
                if !t.is_scalar(l.ty) || !t.is_scalar(r.ty) {
                    return Err(Diag::new(
                        "D_OP_SCALAR",
                        span,
                        format!("operator {} requires operands of scalar type", op.symbol()),
                    ));
                }
                if let (TExprKind::Int(x), TExprKind::Int(y)) = (&l.kind, &r.kind) {
                    let (x, y) = (*x != 0, *y != 0);
                    let v = match op {
                        LogAnd => x && y,
                        LogOr => x || y,
                        _ => x ^ y,
                    };
                    return Ok(self.folded(u64::from(v), b.int, span));
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
            Add | Sub => {
                if ints {
                    return self.int_binary(op, l, r, span);
                }
                let (lp, rp) = (self.is_steppable(l.ty), self.is_steppable(r.ty));
                let (li, ri) = (t.is_integer(l.ty), t.is_integer(r.ty));
                if (lp && ri) || (li && rp && op == Add) {
                    return self.pointer_arith(op, l, r, span);
                }
                if lp && rp && op == Sub && self.ptr_compatible(l.ty, false, r.ty, false).is_some()
                {
                    return self.pointer_diff(l, r, span);
                }
                Err(self.incompatible(op.symbol(), &l, &r, span))
            }
            Mul | Div => {
                if !ints {
                    return Err(Diag::new(
                        "D_OP_ARITH",
                        span,
                        format!(
                            "operator {} requires operands of arithmetic type",
                            op.symbol()
                        ),
                    ));
                }
                self.int_binary(op, l, r, span)
            }
            Mod | Shl | Shr | BitAnd | BitOr | BitXor => {
                if !ints {
                    return Err(Diag::new(
                        "D_OP_INT",
                        span,
                        format!(
                            "operator {} requires operands of integral type",
                            op.symbol()
                        ),
                    ));
                }
                self.int_binary(op, l, r, span)
            }
        }
    }

    /// Arithmetic on two integers: the usual arithmetic conversions, except
    /// for shifts, whose type is the left operand's.
    fn int_binary(&mut self, op: BinaryOp, l: TExpr, r: TExpr, span: Span) -> Result<TExpr> {
        use BinaryOp::*;
        let shift = matches!(op, Shl | Shr);
        let ty = if shift {
            l.ty
        } else {
            self.types.arith_result(l.ty, r.ty)
        };
        let signed = self.types.is_signed(ty);
        if let (TExprKind::Int(x), TExprKind::Int(y)) = (&l.kind, &r.kind) {
            // Folding as `dt_node_op2` does: on the 64-bit values, signed
            // only where the operation depends on it; `>>` is a logical
            // shift whatever the type.
            let (x, y) = (*x as u64, *y as u64);
            let v = match op {
                Add => x.wrapping_add(y),
                Sub => x.wrapping_sub(y),
                Mul => x.wrapping_mul(y),
                Div | Mod if y == 0 => {
                    return Err(Diag::new(
                        "D_DIV_ZERO",
                        span,
                        "expression contains division by zero",
                    ));
                }
                Div if signed => (x as i64).wrapping_div(y as i64) as u64,
                Div => x / y,
                Mod if signed => (x as i64).wrapping_rem(y as i64) as u64,
                Mod => x % y,
                Shl => x.checked_shl(y as u32).unwrap_or(0),
                Shr => x.checked_shr(y as u32).unwrap_or(0),
                BitAnd => x & y,
                BitOr => x | y,
                BitXor => x ^ y,
                _ => {
                    return Err(Diag::new(
                        "D_UNKNOWN",
                        span,
                        format!("invalid binary op {}", op.symbol()),
                    ));
                }
            };
            return Ok(self.folded(v, ty, span));
        }
        let l = self.convert(l, ty);
        let r = if shift { r } else { self.convert(r, ty) };
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

    /// `pointer ± integer` (or `integer + pointer`): the pointer's type.
    fn pointer_arith(&mut self, op: BinaryOp, l: TExpr, r: TExpr, span: Span) -> Result<TExpr> {
        let (ptr, int) = if self.types.is_integer(l.ty) {
            (r, l)
        } else {
            (l, r)
        };
        if self.types.is_string(ptr.ty) {
            return Err(Diag::new(
                "D_OP_INCOMPAT",
                span,
                format!("operator {} on a string is not supported yet", op.symbol()),
            ));
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

    /// `pointer - pointer`: a `ptrdiff_t` count of elements.
    fn pointer_diff(&mut self, l: TExpr, r: TExpr, span: Span) -> Result<TExpr> {
        if self.types.is_string(l.ty) || self.types.is_string(r.ty) {
            return Err(Diag::new(
                "D_OP_INCOMPAT",
                span,
                "operator - on strings is not supported yet",
            ));
        }
        let scale = self.referent_size(l.ty);
        Ok(self.texpr(
            TExprKind::PtrDiff {
                lhs: Box::new(l),
                rhs: Box::new(r),
                scale,
            },
            self.types.builtins.ptrdiff_t,
            span,
        ))
    }

    fn referent_size(&self, ptr: TypeId) -> u64 {
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

    /// Relational and equality operators: same or compatible types, any
    /// two integers, strings with string-like values (compared as strings),
    /// or compatible pointers (a literal 0 being any pointer).
    fn compare(&mut self, op: BinaryOp, l: TExpr, r: TExpr, span: Span) -> Result<TExpr> {
        let b = self.types.builtins;
        let t = &self.types;
        let (ls, rs) = (t.is_string(l.ty), t.is_string(r.ty));
        let ints = t.is_integer(l.ty) && t.is_integer(r.ty);
        let strings = self.is_strcompat(l.ty) && self.is_strcompat(r.ty) && (ls || rs);
        let ok = ints
            || strings
            || (t.compatible(l.ty, r.ty) && !t.is_dynamic(l.ty))
            || self
                .ptr_compatible(l.ty, protos::is_zero(&l), r.ty, protos::is_zero(&r))
                .is_some();
        if !ok {
            return Err(self.incompatible(op.symbol(), &l, &r, span));
        }
        if strings || (ls && rs) {
            let l = self.stringof(l, span)?;
            let r = self.stringof(r, span)?;
            if let (TExprKind::Str(x), TExprKind::Str(y)) = (&l.kind, &r.kind) {
                let o = x.cmp(y);
                return Ok(self.folded(u64::from(cmp_holds(op, o)), b.int, span));
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
        if !self.types.is_scalar(l.ty) || !self.types.is_scalar(r.ty) {
            return Err(Diag::new(
                "D_OP_INCOMPAT",
                span,
                format!(
                    "operator {} on values of type \"{}\" is not supported yet",
                    op.symbol(),
                    self.types.name(l.ty)
                ),
            ));
        }
        let (kind, l, r) = if ints {
            let ty = self.types.arith_result(l.ty, r.ty);
            let kind = if self.types.is_signed(ty) {
                CompareKind::Signed
            } else {
                CompareKind::Unsigned
            };
            (kind, self.convert(l, ty), self.convert(r, ty))
        } else {
            (CompareKind::Unsigned, l, r)
        };
        if let (TExprKind::Int(x), TExprKind::Int(y)) = (&l.kind, &r.kind) {
            let o = if kind == CompareKind::Signed {
                x.cmp(y)
            } else {
                (*x as u64).cmp(&(*y as u64))
            };
            return Ok(self.folded(u64::from(cmp_holds(op, o)), b.int, span));
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
        // A condition that is a constant when parsed picks its branch
        // then: the other one is never checked.
        if let Some(c) = self.parse_const(cond) {
            let chosen = if c != 0 { then } else { otherwise };
            let v = self.expr(chosen)?;
            return Ok(TExpr { span, ..v });
        }
        let c = self.expr(cond)?;
        let c = self.rvalue(c)?;
        let t = self.expr(then)?;
        let t = self.rvalue(t)?;
        let o = self.expr(otherwise)?;
        let o = self.rvalue(o)?;
        if !self.types.is_scalar(c.ty) {
            return Err(Diag::new(
                "D_OP_SCALAR",
                span,
                "operator ?: expression must be of scalar type",
            ));
        }
        if self.types.is_dynamic(t.ty) || self.types.is_dynamic(o.ty) {
            return Err(Diag::new(
                "D_OP_DYN",
                span,
                "operator ?: operands cannot be of dynamic type",
            ));
        }
        let types = &self.types;
        let ty = if types.compatible(t.ty, o.ty) {
            t.ty
        } else if types.is_integer(t.ty) && types.is_integer(o.ty) {
            types.arith_result(t.ty, o.ty)
        } else if self.is_strcompat(t.ty)
            && self.is_strcompat(o.ty)
            && (types.is_string(t.ty) || types.is_string(o.ty))
        {
            types.builtins.string
        } else if let Some(p) =
            self.ptr_compatible(t.ty, protos::is_zero(&t), o.ty, protos::is_zero(&o))
        {
            p
        } else {
            return Err(Diag::new(
                "D_OP_INCOMPAT",
                span,
                "operator ?: operands must have compatible types",
            ));
        };
        if self.is_action_value(&t) || self.is_action_value(&o) {
            return Err(Diag::new(
                "D_OP_ACT",
                span,
                "action cannot be used in a conditional context",
            ));
        }
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
            if self.types.is_integer(ty) {
                return self.int_const(x, ty, v.span);
            }
            return TExpr { ty, ..v };
        }
        let span = v.span;
        // Widening between integer types of the same signedness needs no
        // code: values are kept sign- or zero-extended to 64 bits.
        let (fs, ts) = (self.types.size_of(v.ty, 8), self.types.size_of(ty, 8));
        if self.types.is_integer(v.ty)
            && self.types.is_integer(ty)
            && ts == 8
            && (fs == 8 || self.types.is_signed(v.ty) || !self.types.is_signed(ty))
        {
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

    /// `(type) expr`: to the same type, between scalars, from arrays to
    /// pointers, to `void`, and (D's addition) to `string` from scalars,
    /// pointers and string-like values.
    fn cast(&mut self, v: TExpr, to: TypeId, span: Span) -> Result<TExpr> {
        if self.types.is_void(to) {
            let v = self.rvalue(v)?;
            return Ok(TExpr { ty: to, span, ..v });
        }
        if self.types.is_pointer(to)
            && matches!(v.kind, TExprKind::Mem { .. })
            && self.types.is_array(v.ty)
        {
            let addr = self.address_of(v)?;
            return Ok(TExpr {
                ty: to,
                span,
                ..addr
            });
        }
        if self.types.is_string(to) {
            let ok =
                self.types.is_scalar(v.ty) || self.types.is_array(v.ty) || self.is_strcompat(v.ty);
            if ok {
                return self.stringof(v, span);
            }
        }
        let from = v.ty;
        if self.types.compatible(to, from) && !self.types.is_scalar(to) && !self.types.is_string(to)
        {
            return Ok(TExpr { ty: to, span, ..v });
        }
        let v = self.rvalue(v)?;
        let function = matches!(self.types.kind(v.ty), TypeDef::Function { .. });
        let ok = self.types.is_scalar(to) && (self.types.is_scalar(v.ty) || function);
        if !ok {
            return Err(Diag::new(
                "D_CAST_INVAL",
                span,
                format!(
                    "invalid cast expression: \"{}\" to \"{}\"",
                    self.types.name(from),
                    self.types.name(to)
                ),
            ));
        }
        let r = self.convert(v, to);
        Ok(TExpr { span, ..r })
    }

    // -- assignment ----------------------------------------------------------------

    /// Resolves the target of an assignment or of `++`/`--`. DTrace creates
    /// a variable named on the left of `=` before it looks at the value, so
    /// new names are returned as such rather than created here.
    fn target(&mut self, lhs: &Expr, op: &str) -> Result<Target> {
        match &lhs.kind {
            ExprKind::Ident(name) => {
                if let Some(&id) = self.globals.get(name) {
                    let v = self.var(id);
                    if v.scope == VarScope::Assoc {
                        return Err(bad_ref("associative array", name, "scalar", lhs.span));
                    }
                    return Ok(Target::Place(LValue::Var(id), v.ty));
                }
                if self.builtin(name).is_some()
                    || self.enumerators.contains_key(name)
                    || self.inlines.contains_key(name)
                {
                    let v = self.expr(lhs)?;
                    return Ok(Target::ReadOnly(v.ty));
                }
                if name == "args" {
                    return Err(bad_ref("associative array", name, "scalar", lhs.span));
                }
                if let Some(f) = protos::lookup(name) {
                    return Err(bad_ref(f.kind.name(), name, "scalar", lhs.span));
                }
                Ok(Target::NewVar(VarScope::Global, name.clone()))
            }
            ExprKind::SelfVar(name) | ExprKind::ThisVar(name) => {
                let scope = if matches!(lhs.kind, ExprKind::SelfVar(_)) {
                    VarScope::Thread
                } else {
                    VarScope::Clause
                };
                match self.lookup_var(scope, name) {
                    Some(id) => Ok(Target::Place(LValue::Var(id), self.var(id).ty)),
                    None => Ok(Target::NewVar(scope, name.clone())),
                }
            }
            ExprKind::Index { base, index } => {
                if let ExprKind::Ident(name) = &base.kind {
                    if let Some(&id) = self.globals.get(name) {
                        let v = self.var(id).clone();
                        if v.scope == VarScope::Assoc {
                            let keys = self.keys(index)?;
                            let keys = self.check_keys("", name, &v.keys, keys, lhs.span)?;
                            return Ok(Target::Place(LValue::Assoc { var: id, keys }, v.ty));
                        }
                    } else if name != "args"
                        && self.builtin(name).is_none()
                        && !self.inlines.contains_key(name)
                        && !self.enumerators.contains_key(name)
                        && protos::lookup(name).is_none()
                    {
                        let keys = self.keys(index)?;
                        self.first_keys("associative array", &keys)?;
                        return Ok(Target::NewAssoc(name.clone(), keys));
                    }
                }
                let v = self.index(base, index, lhs.span)?;
                Ok(self.value_target(v))
            }
            _ => {
                let v = self.expr(lhs)?;
                if let TExprKind::Assign { .. } = v.kind {
                    return Err(lval_error(op, lhs.span));
                }
                Ok(self.value_target(v))
            }
        }
    }

    /// The target an already-checked expression denotes: memory is an
    /// lvalue D does not write; anything else is no lvalue.
    fn value_target(&self, v: TExpr) -> Target {
        match v.kind {
            TExprKind::Mem { .. }
            | TExprKind::BitField { .. }
            | TExprKind::Builtin(_)
            | TExprKind::TypedArg(_) => Target::ReadOnly(v.ty),
            _ => Target::Value(v.ty),
        }
    }

    /// The name an untyped target has in messages: its identifier kind,
    /// which is what DTrace prints for a variable of dynamic type.
    fn new_target_name(&self, t: &Target) -> &'static str {
        match t {
            Target::NewAssoc(..) => "associative array",
            _ => "scalar",
        }
    }

    fn assign(
        &mut self,
        op: Option<BinaryOp>,
        lhs: &Expr,
        rhs: &Expr,
        span: Span,
    ) -> Result<TExpr> {
        let sym = match op {
            None => "=".to_string(),
            Some(o) => format!("{}=", o.symbol()),
        };
        let target = self.target(lhs, &sym)?;
        if let Some(o) = op {
            return self.compound_assign(o, &sym, target, lhs, rhs, span);
        }
        // The variable exists, untyped, while its value is checked.
        let created = match &target {
            Target::NewVar(scope, name) => Some((*scope, name.clone())),
            Target::NewAssoc(name, _) => Some((VarScope::Assoc, name.clone())),
            _ => None,
        };
        if let Some(c) = &created {
            self.creating.push(c.clone());
        }
        let raw = self.expr(rhs);
        if created.is_some() {
            self.creating.pop();
        }
        let raw = raw?;
        let raw_ty = raw.ty;
        let v = self.rvalue(raw)?;
        // A new variable takes the value's type, as written.
        let (lhs_ty, lhs_name) = match &target {
            Target::Place(_, ty) | Target::ReadOnly(ty) | Target::Value(ty) => {
                (*ty, self.types.name(*ty))
            }
            Target::NewVar(..) | Target::NewAssoc(..) => {
                let name = if self.types.is_dynamic(raw_ty) {
                    self.new_target_name(&target).to_string()
                } else {
                    self.types.name(raw_ty)
                };
                (raw_ty, name)
            }
        };
        if !self.types.is_string(lhs_ty)
            && (self.types.is_array(lhs_ty)
                || matches!(self.types.kind(lhs_ty), TypeDef::Function { .. }))
        {
            return Err(Diag::new(
                "D_OP_ARRFUN",
                span,
                format!("operator {sym} may not be applied to operand of type \"{lhs_name}\""),
            ));
        }
        if !self.arg_compatible(lhs_ty, &v) {
            let rhs_name = self.types.name(if self.types.is_array(raw_ty) {
                raw_ty
            } else {
                v.ty
            });
            return Err(Diag::new(
                "D_OP_INCOMPAT",
                span,
                format!("operands have incompatible types: \"{lhs_name}\" {sym} \"{rhs_name}\""),
            ));
        }
        let (lvalue, ty) = self.writable(target, &sym, span, lhs_ty)?;
        let v = if self.types.is_string(ty) {
            self.stringof(v, span)?
        } else {
            self.convert(v, ty)
        };
        Ok(self.texpr(
            TExprKind::Assign {
                target: lvalue,
                op: None,
                value: Box::new(v),
            },
            ty,
            span,
        ))
    }

    /// The last checks of an assignment (`dt_assign_common`): the target
    /// must be an lvalue and writable. Creates a new variable with type
    /// `ty`.
    fn writable(
        &mut self,
        target: Target,
        sym: &str,
        span: Span,
        ty: TypeId,
    ) -> Result<(LValue, TypeId)> {
        match target {
            Target::Place(lv, ty) => Ok((lv, ty)),
            Target::NewVar(scope, name) => {
                let id = self.new_var(&name, scope, ty, Vec::new());
                Ok((LValue::Var(id), ty))
            }
            Target::NewAssoc(name, keys) => {
                let key_types = keys.iter().map(|k| k.ty).collect();
                let id = self.new_var(&name, VarScope::Assoc, ty, key_types);
                Ok((LValue::Assoc { var: id, keys }, ty))
            }
            Target::Value(_) => Err(lval_error(sym, span)),
            Target::ReadOnly(_) => Err(Diag::new(
                "D_OP_WRITE",
                span,
                format!("operator {sym} can only be applied to a writable variable"),
            )),
        }
    }

    /// `x op= v`. The target must already have a type: DTrace creates a
    /// new name but then finds it has no value to operate on.
    fn compound_assign(
        &mut self,
        o: BinaryOp,
        sym: &str,
        target: Target,
        lhs: &Expr,
        rhs: &Expr,
        span: Span,
    ) -> Result<TExpr> {
        let ty = match &target {
            Target::NewVar(scope, name) => {
                let prefix = match scope {
                    VarScope::Thread => "self->",
                    VarScope::Clause => "this->",
                    _ => "",
                };
                return Err(var_undef(prefix, name, lhs.span));
            }
            Target::NewAssoc(name, _) => return Err(var_undef("", name, lhs.span)),
            Target::Place(_, ty) | Target::ReadOnly(ty) | Target::Value(ty) => *ty,
        };
        let v = self.expr(rhs)?;
        let v = self.rvalue(v)?;
        let t = &self.types;
        let cur = TExpr {
            kind: TExprKind::Var(VarId(u32::MAX)),
            ty,
            span: lhs.span,
        };
        let ints = t.is_integer(ty) && t.is_integer(v.ty);
        match o {
            BinaryOp::Add | BinaryOp::Sub => {
                if t.is_string(ty) || t.is_string(v.ty) {
                    return Err(self.incompatible(sym, &cur, &v, span));
                }
                if !ints {
                    if !t.is_pointer(ty) || self.is_vfptr(ty) {
                        return Err(Diag::new(
                            "D_OP_VFPTR",
                            span,
                            format!(
                                "operator {sym} requires left-hand scalar operand of known size"
                            ),
                        ));
                    }
                    if !t.is_integer(v.ty)
                        && self
                            .ptr_compatible(ty, false, v.ty, protos::is_zero(&v))
                            .is_none()
                    {
                        return Err(self.incompatible(sym, &cur, &v, span));
                    }
                }
            }
            BinaryOp::Mul | BinaryOp::Div => {
                if !ints {
                    return Err(Diag::new(
                        "D_OP_ARITH",
                        span,
                        format!("operator {sym} requires operands of arithmetic type"),
                    ));
                }
            }
            _ => {
                if !ints {
                    return Err(Diag::new(
                        "D_OP_INT",
                        span,
                        format!("operator {sym} requires operands of integral type"),
                    ));
                }
            }
        }
        let (lvalue, ty) = self.writable(target, sym, span, ty)?;
        let v = if self.types.is_integer(ty) {
            self.convert(v, ty)
        } else {
            v
        };
        Ok(self.texpr(
            TExprKind::Assign {
                target: lvalue,
                op: Some(o),
                value: Box::new(v),
            },
            ty,
            span,
        ))
    }

    fn incdec(
        &mut self,
        increment: bool,
        prefix: bool,
        operand: &Expr,
        span: Span,
    ) -> Result<TExpr> {
        let sym = if increment { "++" } else { "--" };
        // A variable first seen in `x++` is created as an `int64_t`.
        let int64 = self.types.builtins.int64;
        let target = match self.target(operand, sym)? {
            Target::NewVar(scope, name) => Target::Place(
                LValue::Var(self.new_var(&name, scope, int64, Vec::new())),
                int64,
            ),
            Target::NewAssoc(name, keys) => {
                let key_types = keys.iter().map(|k| k.ty).collect();
                let id = self.new_var(&name, VarScope::Assoc, int64, key_types);
                Target::Place(LValue::Assoc { var: id, keys }, int64)
            }
            t => t,
        };
        let ty = match &target {
            Target::Place(_, ty) | Target::ReadOnly(ty) | Target::Value(ty) => *ty,
            Target::NewVar(..) | Target::NewAssoc(..) => int64,
        };
        if !self.types.is_scalar(ty) {
            return Err(Diag::new(
                "D_OP_SCALAR",
                span,
                format!("operator {sym} requires operand of scalar type"),
            ));
        }
        if self.is_vfptr(ty) {
            return Err(Diag::new(
                "D_OP_VFPTR",
                span,
                format!("operator {sym} requires an operand of known size"),
            ));
        }
        let (lvalue, ty) = self.writable(target, sym, span, ty)?;
        let step = if self.types.is_pointer(ty) {
            self.referent_size(ty)
        } else {
            1
        };
        Ok(self.texpr(
            TExprKind::IncDec {
                target: lvalue,
                increment,
                prefix,
                step,
            },
            ty,
            span,
        ))
    }

    // -- keys ------------------------------------------------------------------------

    /// Key expressions of an associative array or aggregation.
    pub(crate) fn keys(&mut self, index: &[Expr]) -> Result<Vec<TExpr>> {
        let mut out = Vec::new();
        for k in index {
            // Stacks and symbols are keys DTrace records specially.
            if let ExprKind::Call { name, .. } = &k.kind
                && protos::lookup(name)
                    .is_some_and(|f| f.kind == FnKind::Action && !f.proto.starts_with("void"))
            {
                return Err(Diag::new(
                    "D_KEY_TYPE",
                    k.span,
                    format!("{name}( ) as a key is not supported yet"),
                ));
            }
            let t = self.expr(k)?;
            let t = self.rvalue(t)?;
            out.push(t);
        }
        Ok(out)
    }

    /// The first keys of a new associative array or aggregation define its
    /// key signature; `void` and dynamic values cannot be keys.
    pub(crate) fn first_keys(&self, kind: &str, keys: &[TExpr]) -> Result<()> {
        for (i, k) in keys.iter().enumerate() {
            if self.types.is_void(k.ty) || self.types.is_dynamic(k.ty) {
                return Err(Diag::new(
                    "D_KEY_TYPE",
                    k.span,
                    format!(
                        "{} expression may not be used as {kind} index: key #{}",
                        self.types.name(k.ty),
                        i + 1
                    ),
                ));
            }
            if !self.types.is_scalar(k.ty) && !self.types.is_string(k.ty) {
                return Err(Diag::new(
                    "D_KEY_TYPE",
                    k.span,
                    format!(
                        "{} keys are not supported yet: key #{}",
                        self.types.name(k.ty),
                        i + 1
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks keys against an array's signature (`a[ ]`, or `@a[ ]` with
    /// `prefix` `@`) and converts them.
    pub(crate) fn check_keys(
        &mut self,
        prefix: &str,
        name: &str,
        sig: &[TypeId],
        keys: Vec<TExpr>,
        span: Span,
    ) -> Result<Vec<TExpr>> {
        let params: Vec<Option<TypeId>> = sig.iter().map(|t| Some(*t)).collect();
        self.check_signature(
            protos::SigNames::keys(prefix, name),
            &params,
            None,
            None,
            &keys,
            span,
        )?;
        let mut out = Vec::new();
        for (k, &t) in keys.into_iter().zip(sig) {
            let span = k.span;
            out.push(if self.types.is_string(t) {
                self.stringof(k, span)?
            } else {
                self.convert(k, t)
            });
        }
        Ok(out)
    }

    // -- subscripts and members ----------------------------------------------------

    fn index(&mut self, base: &Expr, index: &[Expr], span: Span) -> Result<TExpr> {
        match &base.kind {
            ExprKind::Agg(name) => return self.agg_value(name, span),
            ExprKind::Index { base: inner, .. } => {
                if let ExprKind::Agg(name) = &inner.kind {
                    return Err(Diag::new(
                        "D_AGG_MDIM",
                        span,
                        format!(
                            "improper attempt to reference @{name} as a multi-dimensional array"
                        ),
                    ));
                }
            }
            ExprKind::ThisVar(name) if self.lookup_var(VarScope::Clause, name).is_none() => {
                return Err(Diag::new(
                    "D_ARR_LOCAL",
                    span,
                    format!("local variables may not be used as associative arrays: {name}"),
                ));
            }
            ExprKind::SelfVar(name) if self.lookup_var(VarScope::Thread, name).is_none() => {
                return Err(Diag::new(
                    "D_UNKNOWN",
                    span,
                    format!(
                        "self->{name}[ ]: thread-local associative arrays are not supported yet"
                    ),
                ));
            }
            ExprKind::Ident(name) => {
                if name == "args" && !self.globals.contains_key(name) {
                    return self.typed_arg(index, span);
                }
                if self.is_being_created(VarScope::Assoc, name)
                    || self.is_being_created(VarScope::Global, name)
                {
                    return Err(var_undef("", name, span));
                }
                if let Some(&id) = self.globals.get(name) {
                    let v = self.var(id).clone();
                    if v.scope == VarScope::Assoc {
                        let keys = self.keys(index)?;
                        let keys = self.check_keys("", name, &v.keys, keys, span)?;
                        return Ok(self.texpr(TExprKind::AssocGet { var: id, keys }, v.ty, span));
                    }
                } else if self.builtin(name).is_none()
                    && !self.inlines.contains_key(name)
                    && !self.enumerators.contains_key(name)
                    && protos::lookup(name).is_none()
                {
                    // Reading an element of an array nothing has assigned.
                    return Err(var_undef("", name, span));
                }
            }
            _ => {}
        }
        // `base[i]` is `*(base + i)`.
        let b = self.expr(base)?;
        let Some(first) = index.first() else {
            return Err(Diag::new("D_SYNTAX", span, "syntax error near \"]\""));
        };
        let i = self.expr(first)?;
        let i = self.rvalue(i)?;
        self.subscript(b, i, index.len() > 1, span)
    }

    /// `b[i]` for arrays and pointers.
    fn subscript(&mut self, b: TExpr, i: TExpr, more: bool, span: Span) -> Result<TExpr> {
        let node_name = |c: &Self, b: &TExpr| match b.kind {
            TExprKind::Var(id) => format!("scalar {}", c.var(id).name),
            TExprKind::Int(v) => format!("integer constant 0x{:x}", v as u64),
            _ => format!("operator {}", "[ ]"),
        };
        if let (TExprKind::Mem { .. }, TypeDef::Array { elem, .. }) =
            (&b.kind, self.types.kind(b.ty).clone())
        {
            if !self.types.is_integer(i.ty) {
                let bp = self.types.pointer_to(elem, false);
                let l = TExpr {
                    ty: bp,
                    ..b.clone()
                };
                return Err(self.incompatible("+", &l, &i, span));
            }
            if more {
                return Err(Diag::new(
                    "D_ARR_BADREF",
                    span,
                    format!(
                        "cannot access {} as an associative array",
                        node_name(self, &b)
                    ),
                ));
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
        let name = node_name(self, &b);
        let b = self.rvalue(b)?;
        let sum = self.binary_values(BinaryOp::Add, b, i, span)?;
        if more {
            return Err(Diag::new(
                "D_ARR_BADREF",
                span,
                format!("cannot access {name} as an associative array"),
            ));
        }
        self.deref(sum, span)
    }

    /// `args[n]`: the current probe's n-th argument, typed.
    fn typed_arg(&mut self, index: &[Expr], span: Span) -> Result<TExpr> {
        if index.len() != 1 {
            let n = index.len();
            return Err(Diag::new(
                "D_PROTO_LEN",
                span,
                format!(
                    "args[ ] prototype mismatch: {n} arg{}passed, 1 expected",
                    if n == 1 { " " } else { "s " }
                ),
            ));
        }
        let v = self.expr(&index[0])?;
        let TExprKind::Int(i) = v.kind else {
            return Err(Diag::new(
                "D_PROTO_ARG",
                span,
                format!(
                    "args[ ] argument #1 is incompatible with prototype:\n\tprototype: integer constant\n\t argument: {}",
                    self.types.name(v.ty)
                ),
            ));
        };
        let ty = self.arg_type(i, span)?;
        Ok(self.texpr(TExprKind::TypedArg(i as u8), ty, span))
    }

    fn member(&mut self, base: &Expr, member: &str, arrow: bool, span: Span) -> Result<TExpr> {
        let b = self.expr(base)?;
        let opname = if arrow { "->" } else { "." };
        let (obj_ty, addr, userland) = if arrow {
            if matches!(b.kind, TExprKind::Mem { .. }) && self.types.is_array(b.ty)
                || !self.types.is_pointer(b.ty)
            {
                return Err(Diag::new(
                    "D_OP_PTR",
                    span,
                    "operator -> must be applied to a pointer",
                ));
            }
            let target = self
                .types
                .referent(b.ty)
                .unwrap_or(self.types.builtins.void);
            let userland = self.types.is_userland_pointer(b.ty);
            (target, b, userland)
        } else {
            let ty = b.ty;
            crate::btf::import::complete(self, ty);
            if !self.types.is_struct(ty) {
                return Err(Diag::new(
                    "D_OP_SOU",
                    span,
                    format!(
                        "operator . cannot be applied to type \"{}\"; must be applied to a struct or union",
                        self.types.name(self.types.resolve(ty))
                    ),
                ));
            }
            if !matches!(b.kind, TExprKind::Mem { .. }) {
                return Err(Diag::new(
                    "D_OP_SOU",
                    span,
                    format!(
                        "operator . on a {} value is not supported yet",
                        self.types.name(ty)
                    ),
                ));
            }
            let userland = matches!(b.kind, TExprKind::Mem { userland: true, .. });
            (ty, self.address_of(b)?, userland)
        };
        crate::btf::import::complete(self, obj_ty);
        let resolved = self.types.resolve(obj_ty);
        if let TypeDef::Struct(s) = self.types.def(resolved) {
            if s.layout.is_none() {
                let tag = self.types.name(resolved);
                return Err(Diag::new(
                    "D_OP_INCOMPLETE",
                    span,
                    format!(
                        "operator {opname} cannot be applied to a forward declaration: no {tag} definition is available"
                    ),
                ));
            }
        } else if arrow {
            return Err(Diag::new(
                "D_OP_SOU",
                span,
                format!(
                    "operator -> cannot be applied to pointer to type \"{}\"; must be applied to a struct or union pointer",
                    self.types.name(resolved)
                ),
            ));
        }
        let Some((mty, bit_off, bits)) = self.types.find_member(obj_ty, member) else {
            return Err(Diag::new(
                "D_TYPE_MEMBER",
                span,
                format!(
                    "{} is not a member of {}",
                    member,
                    self.types.name(resolved)
                ),
            ));
        };
        let byte_off = bit_off / 8;
        let b = self.types.builtins;
        let ptr_ty = self.types.pointer_to(mty, userland);
        let addr = if byte_off == 0 {
            TExpr { ty: ptr_ty, ..addr }
        } else {
            let off = self.int_const(byte_off as i64, b.long, span);
            let a = TExpr {
                ty: b.uintptr,
                ..addr
            };
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

/// `D_VAR_UNDEF`: a variable that exists but was never given a value.
pub(crate) fn var_undef(prefix: &str, name: &str, span: Span) -> Diag {
    Diag::new(
        "D_VAR_UNDEF",
        span,
        format!("{prefix}{name} has not yet been declared or assigned"),
    )
}

/// `D_IDENT_BADREF`: an identifier used as a kind it is not.
pub(crate) fn bad_ref(kind: &str, name: &str, wanted: &str, span: Span) -> Diag {
    Diag::new(
        "D_IDENT_BADREF",
        span,
        format!("{kind} '{name}' may not be referenced as {wanted}"),
    )
}

fn lval_error(sym: &str, span: Span) -> Diag {
    Diag::new(
        "D_OP_LVAL",
        span,
        format!("operator {sym} requires modifiable lvalue as an operand"),
    )
}

fn sizeof_unknown(span: Span) -> Diag {
    Diag::new(
        "D_SIZEOF_TYPE",
        span,
        "cannot apply sizeof to an operand of unknown size",
    )
}
