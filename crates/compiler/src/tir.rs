//! The typed program: what the checker hands to code generation.
//!
//! Every expression carries its D type; identifiers are resolved to a
//! variable, a built-in, a probe argument or a constant; actions are
//! separated from expressions; compound operations keep their operator so
//! code generation evaluates each operand exactly once. Memory is explicit:
//! [`TExprKind::Mem`] names an object at a computed address (kernel or
//! user), and reading it is a checked load that can fault.

use crate::types::TypeId;
use dtrace_syntax::ast::{BinaryOp, UnaryOp};
use dtrace_syntax::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VarId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AggId(pub u32);

/// Where a variable lives, which decides its lifetime and storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarScope {
    /// Global scalar: one slot in the globals map.
    Global,
    /// Global associative array: a hash map keyed by the tuple.
    Assoc,
    /// `self->x`: a hash map keyed by thread.
    Thread,
    /// `this->x`: a slot in per-CPU scratch, live for one probe firing.
    Clause,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VarInfo {
    pub name: String,
    pub scope: VarScope,
    pub ty: TypeId,
    /// Key types for associative arrays.
    pub keys: Vec<TypeId>,
}

/// D's built-in variables that code generation computes in probe context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    Arg(u8),
    Pid,
    Ppid,
    Tid,
    Uid,
    Gid,
    Execname,
    Timestamp,
    Vtimestamp,
    Walltimestamp,
    Cpu,
    Id,
    Epid,
    Probeprov,
    Probemod,
    Probefunc,
    Probename,
    Errno,
    Curthread,
    Stackdepth,
    Ustackdepth,
    Caller,
    Ucaller,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TExpr {
    pub kind: TExprKind,
    pub ty: TypeId,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TExprKind {
    /// An integer constant, already converted to `ty`.
    Int(i64),
    /// A string constant.
    Str(Vec<u8>),
    Builtin(Builtin),
    /// `args[n]`: the probe's n-th argument converted to its declared type.
    TypedArg(u8),
    /// A scalar global, thread-local or clause-local variable.
    Var(VarId),
    /// `a[keys]` read.
    AssocGet {
        var: VarId,
        keys: Vec<TExpr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<TExpr>,
    },
    /// Arithmetic, bitwise and shift operators on integers (after the usual
    /// conversions; `signed` picks signed division, modulo and shift).
    Binary {
        op: BinaryOp,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
        signed: bool,
    },
    /// Pointer ± integer, scaled by `scale` (the referent's size).
    PtrArith {
        sub: bool,
        ptr: Box<TExpr>,
        int: Box<TExpr>,
        scale: u64,
    },
    /// Pointer − pointer, divided by `scale`.
    PtrDiff {
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
        scale: u64,
    },
    /// `&&`, `||`, `^^` with short-circuit evaluation (not for `^^`).
    Logical {
        op: BinaryOp,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
    Compare {
        op: BinaryOp,
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
        kind: CompareKind,
    },
    Ternary {
        cond: Box<TExpr>,
        then: Box<TExpr>,
        otherwise: Box<TExpr>,
    },
    Assign {
        target: LValue,
        op: Option<BinaryOp>,
        value: Box<TExpr>,
    },
    IncDec {
        target: LValue,
        increment: bool,
        prefix: bool,
        /// 1 for integers, the referent size for pointers.
        step: u64,
    },
    /// Conversion of `operand` to `ty` (integers: truncate and extend).
    Cast(Box<TExpr>),
    /// An object in memory at address `addr`; its value, for scalar types,
    /// is loaded (and can fault); for structs and arrays it stands for the
    /// object itself (only its address and members are usable).
    Mem {
        addr: Box<TExpr>,
        userland: bool,
    },
    /// A bit-field member: load the containing bytes at `addr` then extract.
    BitField {
        addr: Box<TExpr>,
        userland: bool,
        bit_offset: u32,
        bits: u32,
        container: u32,
    },
    /// A string read from memory: `stringof(p)`, `copyinstr(p)` or a `char *`
    /// used where a string is required.
    StrFrom {
        addr: Box<TExpr>,
        userland: bool,
        max: Option<Box<TExpr>>,
    },
    /// A subroutine with a value.
    Call {
        subr: Subr,
        args: Vec<TExpr>,
    },
    Comma {
        lhs: Box<TExpr>,
        rhs: Box<TExpr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareKind {
    Signed,
    Unsigned,
    String,
}

/// Assignable places.
#[derive(Debug, Clone, PartialEq)]
pub enum LValue {
    Var(VarId),
    Assoc { var: VarId, keys: Vec<TExpr> },
}

/// Value-returning subroutines implemented in probe context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subr {
    Strlen,
    Strjoin,
    Rand,
    Progenyof,
    Htons,
    Htonl,
    Htonll,
    Ntohs,
    Ntohl,
    Ntohll,
    Getmajor,
    Getminor,
    Lltostr,
    Basename,
    Dirname,
    Strstr,
    Strchr,
    Strrchr,
    Index,
    Rindex,
    Substr,
    Toupper,
    Tolower,
    Strtoll,
    Copyin,
}

/// A statement of a clause body.
#[derive(Debug, Clone, PartialEq)]
pub enum TStmt {
    Expr(TExpr),
    If {
        cond: TExpr,
        then: Vec<TStmt>,
        otherwise: Vec<TStmt>,
    },
    Action(Action),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub kind: ActionKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    /// The default action of an empty clause: record nothing but the probe.
    Default,
    Trace(TExpr),
    Printf {
        format: usize,
        args: Vec<TExpr>,
    },
    Printa {
        format: Option<usize>,
        aggs: Vec<AggId>,
    },
    Exit(TExpr),
    AggUpdate {
        agg: AggId,
        keys: Vec<TExpr>,
        args: Vec<TExpr>,
    },
    Clear(AggId),
    Trunc(AggId, Option<TExpr>),
    Normalize(AggId, TExpr),
    Denormalize(AggId),
    Setopt(String, Option<String>),
    Stack(Option<u32>),
    Ustack(Option<u32>),
    Tracemem(TExpr, u32),
    System {
        format: usize,
        args: Vec<TExpr>,
    },
    Raise(TExpr),
    Stop,
    Ftruncate,
    Freopen {
        format: usize,
        args: Vec<TExpr>,
    },
}

/// Aggregating functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Stddev,
    Quantize,
    Lquantize {
        base: i64,
        step: i64,
        levels: u32,
    },
    Llquantize {
        factor: u16,
        low: u16,
        high: u16,
        nsteps: u16,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AggInfo {
    pub name: String,
    pub func: AggFunc,
    pub keys: Vec<TypeId>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TClause {
    /// Position among the program's clauses (program order).
    pub index: usize,
    /// Ids of the probes this clause enables.
    pub probes: Vec<u32>,
    pub predicate: Option<TExpr>,
    pub body: Vec<TStmt>,
    pub span: Span,
}
