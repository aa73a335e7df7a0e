//! The checks DTrace makes while it parses, before any clause is cooked.
//!
//! DTrace builds its parse tree and type-checks it in separate passes: the
//! whole program is parsed (declarations take effect as they are read)
//! before the first clause is checked. Some errors belong to the parse:
//! the lexer rejects floating-point constants, `dt_node_int` rejects
//! integer constants no built-in type can hold, `dt_node_func` rejects calls
//! of names that are not functions, and `dt_node_op2` rejects division by a
//! constant zero. Such an error in the last clause therefore wins over a
//! type error in the first one. [`Checker::parse_checks`] makes these checks
//! over one clause, in the order the parser meets the nodes (operands
//! before their operator), so the checker can run it over every clause
//! before checking any.

use super::Checker;
use super::protos;
use crate::tir::VarScope;
use dtrace_syntax::ast::*;
use dtrace_syntax::diag::{Diag, Result};

impl Checker<'_> {
    /// The parse-time checks over one clause.
    pub(crate) fn parse_checks(&mut self, clause: &Clause) -> Result<()> {
        if let Some(p) = &clause.predicate {
            self.parse_check_expr(p)?;
        }
        if let Some(body) = &clause.body {
            self.parse_check_stmts(body)?;
        }
        Ok(())
    }

    fn parse_check_stmts(&mut self, stmts: &[Stmt]) -> Result<()> {
        for s in stmts {
            match &s.kind {
                StmtKind::Empty => {}
                StmtKind::Expr(e) => self.parse_check_expr(e)?,
                StmtKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    self.parse_check_expr(cond)?;
                    self.parse_check_stmts(then)?;
                    if let Some(o) = otherwise {
                        self.parse_check_stmts(o)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn parse_check_expr(&mut self, e: &Expr) -> Result<()> {
        match &e.kind {
            ExprKind::Float(_) => {
                return Err(Diag::new(
                    "D_SYNTAX",
                    e.span,
                    "floating-point constants are not permitted",
                ));
            }
            ExprKind::Int {
                value,
                suffix,
                radix,
            } => {
                let decimal = *radix == Radix::Decimal;
                if self
                    .types
                    .int_literal_type(*value, suffix.unsigned, suffix.longs, decimal)
                    .is_none()
                {
                    return Err(int_overflow(*value, e));
                }
            }
            ExprKind::Char(_)
            | ExprKind::Str(_)
            | ExprKind::Ident(_)
            | ExprKind::Scoped { .. }
            | ExprKind::SelfVar(_)
            | ExprKind::ThisVar(_)
            | ExprKind::Agg(_)
            | ExprKind::SizeofType(_)
            | ExprKind::Offsetof { .. } => {}
            ExprKind::Unary { operand, .. }
            | ExprKind::IncDec { operand, .. }
            | ExprKind::Cast { operand, .. }
            | ExprKind::Xlate { operand, .. } => self.parse_check_expr(operand)?,
            ExprKind::SizeofExpr(inner) | ExprKind::Stringof(inner) => {
                self.parse_check_expr(inner)?
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.parse_check_expr(lhs)?;
                self.parse_check_expr(rhs)?;
                if matches!(op, BinaryOp::Div | BinaryOp::Mod) {
                    self.check_divisor(rhs)?;
                }
            }
            ExprKind::Assign { op, lhs, rhs } => {
                self.parse_check_expr(lhs)?;
                self.parse_check_expr(rhs)?;
                if matches!(op, Some(BinaryOp::Div | BinaryOp::Mod)) {
                    self.check_divisor(rhs)?;
                }
            }
            ExprKind::Comma { lhs, rhs } => {
                self.parse_check_expr(lhs)?;
                self.parse_check_expr(rhs)?;
            }
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                self.parse_check_expr(cond)?;
                self.parse_check_expr(then)?;
                self.parse_check_expr(otherwise)?;
            }
            ExprKind::Call {
                name,
                name_span,
                args,
            } => {
                // The function name is looked up when the parser reduces
                // `name (`, before the arguments are read.
                if protos::lookup(name).is_none() {
                    return Err(match self.parse_time_kind(name) {
                        Some(kind) => Diag::new(
                            "D_FUNC_IDKIND",
                            *name_span,
                            format!("{kind} '{name}' may not be referenced as a function"),
                        ),
                        None => Diag::new(
                            "D_FUNC_UNDEF",
                            *name_span,
                            format!("undefined function name: {name}"),
                        ),
                    });
                }
                for a in args {
                    self.parse_check_expr(a)?;
                }
            }
            ExprKind::Index { base, index } => {
                self.parse_check_expr(base)?;
                for i in index {
                    self.parse_check_expr(i)?;
                }
            }
            ExprKind::Member { base, .. } => self.parse_check_expr(base)?,
        }
        Ok(())
    }

    /// `x / 0`, `x % 0`, `x /= 0` and `x %= 0` with a divisor that is a
    /// constant when parsed.
    fn check_divisor(&self, rhs: &Expr) -> Result<()> {
        if self.parse_const(rhs) == Some(0) {
            return Err(Diag::new(
                "D_DIV_ZERO",
                rhs.span,
                "expression contains division by zero",
            ));
        }
        Ok(())
    }

    /// The kind of a non-function identifier known while parsing: built-in
    /// and declared variables, inlines and enumerators (variables created
    /// by assignment do not exist until the clauses are checked).
    fn parse_time_kind(&self, name: &str) -> Option<&'static str> {
        if name == "args" {
            return Some("associative array");
        }
        if let Some(&id) = self.globals.get(name) {
            return Some(if self.var(id).scope == VarScope::Assoc {
                "associative array"
            } else {
                "scalar"
            });
        }
        if self.builtin(name).is_some() || self.inlines.contains_key(name) {
            return Some("scalar");
        }
        if self.enumerators.contains_key(name) {
            return Some("enumerator");
        }
        None
    }

    /// The value of an expression DTrace folds into an integer constant
    /// while parsing: literals and operators applied to them, computed in
    /// 64 bits like `dt_node_op1`/`dt_node_op2`.
    pub(crate) fn parse_const(&self, e: &Expr) -> Option<u64> {
        match &e.kind {
            ExprKind::Int { value, .. } => Some(*value),
            ExprKind::Char(v) => Some(*v as u64),
            ExprKind::Ident(name) => self.inline_const(name),
            ExprKind::Unary { op, operand } => {
                let v = self.parse_const(operand)?;
                match op {
                    UnaryOp::Neg => Some(v.wrapping_neg()),
                    UnaryOp::Plus => Some(v),
                    UnaryOp::BitNot => Some(!v),
                    UnaryOp::Not => Some(u64::from(v == 0)),
                    UnaryOp::Deref | UnaryOp::AddrOf => None,
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let (l, r) = (self.parse_const(lhs)?, self.parse_const(rhs)?);
                use BinaryOp::*;
                Some(match op {
                    LogOr => u64::from(l != 0 || r != 0),
                    LogXor => u64::from((l != 0) ^ (r != 0)),
                    LogAnd => u64::from(l != 0 && r != 0),
                    BitOr => l | r,
                    BitXor => l ^ r,
                    BitAnd => l & r,
                    Eq => u64::from(l == r),
                    Ne => u64::from(l != r),
                    Shl => l.wrapping_shl(r as u32),
                    Shr => l.wrapping_shr(r as u32),
                    Add => l.wrapping_add(r),
                    Sub => l.wrapping_sub(r),
                    Mul => l.wrapping_mul(r),
                    // Relational operators and division depend on the
                    // operands' signedness; a zero divisor never reaches
                    // here because it is an error of its own.
                    Lt | Le | Gt | Ge | Div | Mod => return None,
                })
            }
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                if self.parse_const(cond)? != 0 {
                    self.parse_const(then)
                } else {
                    self.parse_const(otherwise)
                }
            }
            _ => None,
        }
    }

    /// An inline whose value is an integer constant stands for that
    /// constant while parsing (`dt_node_ident`).
    fn inline_const(&self, name: &str) -> Option<u64> {
        let inl = self.inlines.get(name)?;
        self.parse_const(&inl.value)
    }
}

/// `D_INT_OFLOW` for a constant no built-in integer type can hold.
pub(crate) fn int_overflow(value: u64, e: &Expr) -> Diag {
    Diag::new(
        "D_INT_OFLOW",
        e.span,
        format!("integer constant 0x{value:x} cannot be represented in any built-in integral type"),
    )
}
