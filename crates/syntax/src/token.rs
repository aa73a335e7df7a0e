//! Token kinds produced by the [lexer](crate::lexer).
//!
//! A token is a kind plus the [`Span`] of the source text it was scanned
//! from. The span always covers text that is really in the source: a macro
//! variable (`$1`, `$target`) becomes the token of its value but keeps the
//! span of the `$` reference, so "syntax error near ..." messages quote what
//! the user wrote, as DTrace does.

use crate::ast::{IntSuffix, Radix};
use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// End of the source text.
    Eof,
    /// An identifier, possibly backquote-scoped (``vmlinux`jiffies``).
    /// Whether it names a type is decided by the parser (C's "lexer hack");
    /// `assign_follows` records what DTrace's lexer peeks at to make that
    /// decision: the next non-blank characters are `=` (not `==`), `[`,
    /// `++` or `--`, so the name is likely a variable being assigned.
    Ident {
        name: String,
        assign_follows: bool,
    },
    /// A type name found while scanning a probe description at the outer
    /// scope (`uint64_t x;`, or the `foo_t` of `foo_t*p;`).
    TypeName(String),
    Keyword(Keyword),
    /// An integer constant. `sign` is set only for macro arguments whose
    /// text starts with `+` or `-` (`$1` = "-5"): the parser wraps the
    /// constant in the corresponding unary operator.
    Int {
        value: u64,
        suffix: IntSuffix,
        radix: Radix,
        sign: Option<Sign>,
    },
    /// A character constant, already packed into an integer.
    Char(i64),
    Float(f64),
    /// A string literal (or `$$N` / non-numeric `$N`) with escapes decoded.
    Str(Vec<u8>),
    /// `@name`; the anonymous aggregation `@` has an empty name.
    Agg(String),
    /// A probe description scanned at the outer scope, as written.
    ProbeSpec(String),
    Punct(Punct),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    Plus,
    Minus,
}

/// D's reserved words. Some are reserved without being used by the grammar
/// (`break`, `for`, ...); they are still keywords, so using one is a syntax
/// error, as in DTrace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    Auto,
    Break,
    Case,
    Char,
    Const,
    Continue,
    Counter,
    Default,
    Do,
    Double,
    Else,
    Enum,
    Extern,
    Float,
    For,
    Goto,
    If,
    Import,
    Inline,
    Int,
    Long,
    Offsetof,
    Probe,
    Provider,
    Register,
    Restrict,
    Return,
    SelfKw,
    Short,
    Signed,
    Sizeof,
    Static,
    String,
    Stringof,
    Struct,
    Switch,
    This,
    Translator,
    Typedef,
    Union,
    Unsigned,
    Userland,
    Void,
    Volatile,
    While,
    Xlate,
}

impl Keyword {
    /// Every keyword of the expression scope, with its spelling.
    pub const ALL: &'static [(&'static str, Keyword)] = &[
        ("auto", Keyword::Auto),
        ("break", Keyword::Break),
        ("case", Keyword::Case),
        ("char", Keyword::Char),
        ("const", Keyword::Const),
        ("continue", Keyword::Continue),
        ("counter", Keyword::Counter),
        ("default", Keyword::Default),
        ("do", Keyword::Do),
        ("double", Keyword::Double),
        ("else", Keyword::Else),
        ("enum", Keyword::Enum),
        ("extern", Keyword::Extern),
        ("float", Keyword::Float),
        ("for", Keyword::For),
        ("goto", Keyword::Goto),
        ("if", Keyword::If),
        ("import", Keyword::Import),
        ("inline", Keyword::Inline),
        ("int", Keyword::Int),
        ("long", Keyword::Long),
        ("offsetof", Keyword::Offsetof),
        ("probe", Keyword::Probe),
        ("provider", Keyword::Provider),
        ("register", Keyword::Register),
        ("restrict", Keyword::Restrict),
        ("return", Keyword::Return),
        ("self", Keyword::SelfKw),
        ("short", Keyword::Short),
        ("signed", Keyword::Signed),
        ("sizeof", Keyword::Sizeof),
        ("static", Keyword::Static),
        ("string", Keyword::String),
        ("stringof", Keyword::Stringof),
        ("struct", Keyword::Struct),
        ("switch", Keyword::Switch),
        ("this", Keyword::This),
        ("translator", Keyword::Translator),
        ("typedef", Keyword::Typedef),
        ("union", Keyword::Union),
        ("unsigned", Keyword::Unsigned),
        ("userland", Keyword::Userland),
        ("void", Keyword::Void),
        ("volatile", Keyword::Volatile),
        ("while", Keyword::While),
        ("xlate", Keyword::Xlate),
    ];

    /// The keyword spelled `word` in the expression scope.
    pub fn from_word(word: &str) -> Option<Keyword> {
        Self::ALL.iter().find(|(w, _)| *w == word).map(|&(_, k)| k)
    }

    /// The keyword spelled `word` at the outer scope, where only the words
    /// that can begin a declaration or definition are reserved (anything
    /// else there is a probe description: a probe may be named `if`).
    pub fn from_outer_word(word: &str) -> Option<Keyword> {
        use Keyword::*;
        let k = Self::from_word(word)?;
        match k {
            Auto | Char | Const | Counter | Double | Enum | Extern | Float | Import | Inline
            | Int | Long | Provider | Register | Restrict | SelfKw | Short | Signed | Static
            | String | Struct | This | Translator | Typedef | Union | Unsigned | Void
            | Volatile => Some(k),
            _ => None,
        }
    }

    /// Keywords that are type specifiers or qualifiers, i.e. that can begin
    /// a type name in a cast, `sizeof`, `xlate` or parameter list.
    pub fn starts_type_name(self) -> bool {
        use Keyword::*;
        matches!(
            self,
            Void | Char
                | Short
                | Int
                | Long
                | Float
                | Double
                | Signed
                | Unsigned
                | Userland
                | String
                | Struct
                | Union
                | Enum
                | Const
                | Restrict
                | Volatile
        )
    }

    /// The C storage classes (D adds `self` and `this` at the outer scope).
    pub fn is_storage_class(self) -> bool {
        use Keyword::*;
        matches!(self, Auto | Register | Static | Extern | Typedef)
    }
}

/// Operators and punctuation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Punct {
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Semi,
    Comma,
    Dot,
    Arrow,
    Question,
    Colon,
    Ellipsis,
    Assign,
    AddAssign,
    SubAssign,
    MulAssign,
    DivAssign,
    ModAssign,
    AndAssign,
    XorAssign,
    OrAssign,
    ShlAssign,
    ShrAssign,
    Plus,
    Minus,
    Star,
    /// `/` as division (and, at the outer scope, the opening of a predicate).
    Slash,
    /// `/` closing a predicate: DTrace's lexer decides by looking at the next
    /// non-blank character (end of input, `;`, `{` or `/`).
    EndPred,
    Percent,
    Amp,
    Pipe,
    Caret,
    AmpAmp,
    PipePipe,
    CaretCaret,
    Bang,
    Tilde,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Shl,
    Shr,
    PlusPlus,
    MinusMinus,
}
