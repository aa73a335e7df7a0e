//! The abstract syntax tree of a D program.
//!
//! The tree is what the parser saw, nothing more: names are not resolved,
//! types are not checked and constants are not folded. Every node carries the
//! [`Span`] of the source text it came from, so that later passes can report
//! errors with the user's line numbers (see [`crate::source::Source`]).
//!
//! Macro variables (`$1`, `$$1`, `$target`, `$pid`, ...) never appear here:
//! like DTrace's lexer, ours substitutes them while scanning, so `$1` is an
//! [`ExprKind::Int`] or an [`ExprKind::Ident`] and `$$1` an [`ExprKind::Str`].
//!
//! Declarations keep C's split between *specifiers* (`unsigned long`,
//! `struct foo`, `self`) and *declarators* (`*p`, `a[5]`, `f(int)`), because
//! that is how the type checker builds types: the specifiers give a base type
//! and each declarator derives from it, inside out.

use crate::source::Span;

/// A whole D program: the items of every `-s` file and `-n`/`-P`/... option,
/// in command-line order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Program {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `probe-descriptions [/predicate/] [{ statements }]`
    Clause(Clause),
    /// `int x;`, `self string s;`, `struct foo { ... };`, `typedef ...;`
    Decl(Declaration),
    /// `inline type name = expr;`
    Inline(InlineDef),
    /// `translator out < in *name > { member = expr; ... };`
    Translator(TranslatorDef),
    /// `provider name { probe p(args); ... };`
    Provider(ProviderDef),
    /// `#pragma ...` (the words after `#pragma`, split on white space).
    Pragma(Pragma),
}

/// One clause: the probes it enables, its predicate and its statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub probes: Vec<ProbeSpec>,
    pub predicate: Option<Expr>,
    /// `None` when the clause has no braces at all (`dtrace -n BEGIN`);
    /// `Some(vec![])` for `{}`. Both mean the default action (trace the probe).
    pub body: Option<Vec<Stmt>>,
    pub span: Span,
}

/// A probe description as written (`syscall::read:entry`, `BEGIN`,
/// `pid$target:libc.so.6:malloc:entry` after macro substitution), split into
/// its four fields. Fields are glob patterns; an omitted or empty field
/// matches everything. Fewer than four fields fill from the right: `entry`
/// is the name, `read:entry` is function and name, and so on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSpec {
    /// The description text after macro substitution, as DTrace prints it in
    /// messages such as `description 'X' matched N probes`.
    pub text: String,
    pub provider: String,
    pub module: String,
    pub function: String,
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `expr;` (assignments, actions and subroutine calls are all expressions).
    Expr(Expr),
    /// `if (cond) stmt [else stmt]` (illumos D); bodies are statement lists,
    /// a single statement without braces becomes a list of one.
    If {
        cond: Expr,
        then: Vec<Stmt>,
        otherwise: Option<Vec<Stmt>>,
    },
    /// A lone `;`.
    Empty,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// An integer constant. `suffix` is what was written (`u`, `l`, `ul`,
    /// `ll`, `ull`, any case); C's rules pick the type from value, radix and
    /// suffix, so the radix is kept too.
    Int {
        value: u64,
        suffix: IntSuffix,
        radix: Radix,
    },
    /// A character constant: `'a'`, `'\n'`, or a multi-character constant
    /// (`'ab'`, packed like C compilers do). The value is already decoded.
    Char(i64),
    /// A floating-point constant (D accepts them only where it can print them).
    Float(f64),
    /// A string literal with escapes decoded (may contain any byte but NUL
    /// in the middle is kept as written).
    Str(Vec<u8>),
    /// A plain identifier: a built-in variable (`pid`), a global variable,
    /// an inline, an enumerator, or a subroutine name in [`ExprKind::Call`].
    Ident(String),
    /// A backquote-scoped identifier: ``vmlinux`jiffies`` has module
    /// `vmlinux`, `` `jiffies`` has module "" (search every module).
    Scoped {
        module: String,
        name: String,
    },
    /// `self->name`
    SelfVar(String),
    /// `this->name`
    ThisVar(String),
    /// `@name`; the anonymous aggregation `@` has an empty name.
    Agg(String),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `lhs = rhs` (`op == None`) or a compound assignment like `lhs += rhs`.
    Assign {
        op: Option<BinaryOp>,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `++x`, `x++`, `--x`, `x--`.
    IncDec {
        increment: bool,
        prefix: bool,
        operand: Box<Expr>,
    },
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `(type) expr`
    Cast {
        ty: TypeName,
        operand: Box<Expr>,
    },
    /// `sizeof (type)`
    SizeofType(TypeName),
    /// `sizeof expr`
    SizeofExpr(Box<Expr>),
    /// `offsetof (type, member)`; `member` may be a dotted path (`a.b`).
    Offsetof {
        ty: TypeName,
        member: String,
    },
    /// `stringof expr` / `stringof(expr)`
    Stringof(Box<Expr>),
    /// `xlate <type> (expr)`
    Xlate {
        ty: TypeName,
        operand: Box<Expr>,
    },
    /// `name(args)`: D subroutines and actions (`printf`, `count`, `copyinstr`).
    Call {
        name: String,
        name_span: Span,
        args: Vec<Expr>,
    },
    /// `base[i, j, ...]`: arrays, associative arrays, `args[n]`, and
    /// aggregation keys when `base` is an [`ExprKind::Agg`].
    Index {
        base: Box<Expr>,
        index: Vec<Expr>,
    },
    /// `base.member` (`arrow == false`) or `base->member`.
    Member {
        base: Box<Expr>,
        member: String,
        arrow: bool,
    },
    /// `lhs, rhs`
    Comma {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IntSuffix {
    pub unsigned: bool,
    /// 0 = none, 1 = `l`, 2 = `ll`.
    pub longs: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Radix {
    Decimal,
    Octal,
    Hex,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Plus,
    /// `!x`
    Not,
    /// `~x`
    BitNot,
    /// `*x`
    Deref,
    /// `&x`
    AddrOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Mul,
    Div,
    Mod,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    BitAnd,
    BitXor,
    BitOr,
    LogAnd,
    LogXor,
    LogOr,
}

impl BinaryOp {
    /// The operator as written in D source, for error messages.
    pub fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Mul => "*",
            Div => "/",
            Mod => "%",
            Add => "+",
            Sub => "-",
            Shl => "<<",
            Shr => ">>",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Eq => "==",
            Ne => "!=",
            BitAnd => "&",
            BitXor => "^",
            BitOr => "|",
            LogAnd => "&&",
            LogXor => "^^",
            LogOr => "||",
        }
    }
}

impl UnaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Neg => "-",
            UnaryOp::Plus => "+",
            UnaryOp::Not => "!",
            UnaryOp::BitNot => "~",
            UnaryOp::Deref => "*",
            UnaryOp::AddrOf => "&",
        }
    }
}

// ---------------------------------------------------------------------------
// Declarations and type names
// ---------------------------------------------------------------------------

/// `specifiers declarator, declarator, ...;`
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    pub specs: DeclSpecs,
    /// Empty for declarations that only declare a tag (`struct foo { ... };`).
    pub declarators: Vec<InitDeclarator>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InitDeclarator {
    pub declarator: Declarator,
    /// D forbids initializers on variable declarations; the parser keeps one
    /// if written so the checker can reject it with the right tag.
    pub init: Option<Expr>,
}

/// Declaration specifiers: storage class, qualifiers and the base type.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclSpecs {
    pub storage: Option<Storage>,
    pub is_const: bool,
    pub is_volatile: bool,
    pub is_restrict: bool,
    /// `userland` (illumos): pointers in this type are user addresses.
    pub is_userland: bool,
    pub base: BaseType,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Auto,
    Register,
    Static,
    Extern,
    Typedef,
    /// `self int x;` declares a thread-local.
    SelfVar,
    /// `this int x;` declares a clause-local.
    ThisVar,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BaseType {
    /// Built-in keyword types as written, in order (`unsigned long long int`,
    /// `char`, `string`, `void`); the checker validates the combination.
    /// Empty when only a storage class or qualifier was given (`self x;` is
    /// not valid D, but `const p;` parses as implicit int in C).
    Keywords(Vec<TypeKeyword>),
    /// A typedef name, possibly module-scoped (``vmlinux`pid_t``).
    Named {
        module: Option<String>,
        name: String,
    },
    /// `struct tag`, `struct [tag] { members }`, same for unions.
    Struct {
        is_union: bool,
        module: Option<String>,
        tag: Option<String>,
        members: Option<Vec<MemberDecl>>,
    },
    /// `enum tag` or `enum [tag] { A, B = 2 }`.
    Enum {
        module: Option<String>,
        tag: Option<String>,
        enumerators: Option<Vec<Enumerator>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKeyword {
    Void,
    Char,
    Short,
    Int,
    Long,
    Float,
    Double,
    Signed,
    Unsigned,
    Bool,
    String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberDecl {
    pub specs: DeclSpecs,
    pub declarators: Vec<MemberDeclarator>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberDeclarator {
    /// May be abstract (no name) for an unnamed bit-field padding `int : 3;`.
    pub declarator: Declarator,
    pub bit_width: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Enumerator {
    pub name: String,
    pub value: Option<Expr>,
    pub span: Span,
}

/// A declarator: an optional name plus the derivations applied to the base
/// type, listed from the one closest to the base type outwards. `int *a[4]`
/// is `[Pointer, Array(4)]` (array of pointers); `int (*a)[4]` is
/// `[Array(4), Pointer]` (pointer to array).
#[derive(Debug, Clone, PartialEq)]
pub struct Declarator {
    pub name: Option<String>,
    pub name_span: Span,
    pub derived: Vec<Derived>,
    pub span: Span,
}

// The tree is built once per program; boxing the large variants would only
// make every consumer's patterns noisier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Derived {
    Pointer {
        is_const: bool,
        is_volatile: bool,
        is_restrict: bool,
    },
    /// `[N]`, `[]`, or `[type, type]` / `[type name, ...]` (associative array
    /// keys, or the parameters of an inline like `fds[int fd]`).
    Array(ArrayDim),
    /// `(params)` in a function declarator (provider probes, prototypes).
    Function { params: Vec<Param>, varargs: bool },
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayDim {
    /// `[]`
    Unsized,
    /// `[constant-expression]`: a scalar array.
    Size(Expr),
    /// `[type, ...]`: an associative array keyed by these types.
    Keys(Vec<Param>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub ty: TypeName,
    pub name: Option<String>,
    pub span: Span,
}

/// A type name as used in casts, `sizeof`, `offsetof`, `xlate` and
/// parameter lists: specifiers plus an abstract declarator.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeName {
    pub specs: DeclSpecs,
    pub declarator: Declarator,
    pub span: Span,
}

/// `inline specs declarator = expr;`
#[derive(Debug, Clone, PartialEq)]
pub struct InlineDef {
    pub specs: DeclSpecs,
    pub declarator: Declarator,
    pub value: Expr,
    pub span: Span,
}

/// `translator output < input name > { member = expr; ... };`
#[derive(Debug, Clone, PartialEq)]
pub struct TranslatorDef {
    pub output: TypeName,
    pub input: TypeName,
    pub input_name: String,
    pub members: Vec<TranslatorMember>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TranslatorMember {
    pub name: String,
    pub value: Expr,
    pub span: Span,
}

/// `provider name { probe p(native args) [: (translated args)]; ... };`
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderDef {
    pub name: String,
    pub probes: Vec<ProviderProbe>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderProbe {
    pub name: String,
    pub args: Vec<Param>,
    pub xargs: Option<Vec<Param>>,
    pub span: Span,
}

/// `#pragma word word ...` — e.g. `["D", "option", "quiet"]`,
/// `["D", "option", "bufsize=4m"]`, `["D", "depends_on", "provider", "io"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pragma {
    pub words: Vec<String>,
    pub span: Span,
}
