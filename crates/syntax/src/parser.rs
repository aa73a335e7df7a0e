//! The D parser: tokens to [`Program`].
//!
//! A hand-written recursive-descent parser for the grammar of illumos
//! `dt_grammar.y`, accepting the same programs and reporting errors with the
//! same tags and texts (`syntax error near "tok"` names the token at which
//! the program stopped making sense, as yacc does).
//!
//! The parser drives the [lexer](crate::lexer)'s mode: every top-level item
//! starts in outer mode, where probe descriptions are single tokens; the
//! first token decides what the item is (a description begins a clause, a
//! declaration keyword or type name a declaration, `inline`, `translator`
//! and `provider` a definition), and the rest of the item is scanned in
//! expression mode. When an item ends, the next token is scanned in outer
//! mode again. The single token of lookahead is scanned in the mode of the
//! moment, so a mode change never re-reads text already consumed.
//!
//! **Type names.** C cannot be parsed without knowing which identifiers name
//! types: `(x)-1` is a cast if `x` is a type. As DTrace does, an identifier
//! is a type name if it is not a variable declared earlier in this source,
//! not a name already used as a variable, and [`TypeNames`] (or a `typedef`
//! earlier in the source) says it is a type, unless `=`, `[`, `++` or `--`
//! follows it, in which case it is taken as a variable from then on. Once a
//! declaration has a type specifier, further identifiers are declarator
//! names (`typedef int foo; struct s { foo foo; };`).
//!
//! **Nesting.** Parsing recurses on nested expressions, statements and
//! declarators; the depth (plus the length of operator chains, which make
//! the tree as deep) is limited to [`MAX_NESTING`] so that neither the
//! parser nor later passes walking the tree can overflow the stack.
//!
//! **Pragmas** recognised by the lexer become [`Item::Pragma`] items, placed
//! before the item during which they were scanned.

use std::collections::HashSet;

use crate::ast::*;
use crate::diag::Diag;
use crate::lexer::{LexState, Lexer, Mode};
use crate::macros::Macros;
use crate::probedesc;
use crate::source::{Origin, Source, Span, SpecKind};
use crate::token::{Keyword, Punct, Sign, Token, TokenKind};

/// The deepest nesting of expressions, statements and declarators accepted.
/// Parsing at this depth takes up to about 4 MiB of stack in unoptimised
/// builds and 2 MiB in optimised ones (measured), so parse on the main
/// thread (8 MiB) or on a thread given at least that much.
pub const MAX_NESTING: usize = 1000;

/// Tells the parser which identifiers name types (C's "lexer hack").
///
/// The compiler answers from BTF and the D libraries. `module` is the part
/// before a backquote (``vmlinux`pid_t`` asks `Some("vmlinux")`, `` `pid_t``
/// asks `Some("")`), `None` for a plain name. D's built-in variables and
/// functions should not be reported as types. Typedefs declared earlier in
/// the same source are known to the parser without asking.
pub trait TypeNames {
    fn is_type_name(&self, module: Option<&str>, name: &str) -> bool;
}

/// Knows only the typedefs D itself always provides (`uint64_t`, `size_t`,
/// `pid_t`, ...) and the process types of D's standard library
/// (`psinfo_t`, `lwpsinfo_t`). For tests and tools without type information.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTypeNames;

impl NoTypeNames {
    pub const NAMES: &'static [&'static str] = &[
        "int8_t",
        "int16_t",
        "int32_t",
        "int64_t",
        "intptr_t",
        "ssize_t",
        "uint8_t",
        "uint16_t",
        "uint32_t",
        "uint64_t",
        "uchar_t",
        "ushort_t",
        "uint_t",
        "ulong_t",
        "u_longlong_t",
        "longlong_t",
        "ptrdiff_t",
        "uintptr_t",
        "size_t",
        "id_t",
        "pid_t",
        "uid_t",
        "gid_t",
        "processorid_t",
        "psinfo_t",
        "lwpsinfo_t",
    ];
}

impl TypeNames for NoTypeNames {
    fn is_type_name(&self, module: Option<&str>, name: &str) -> bool {
        matches!(module, None | Some("" | "D" | "C")) && Self::NAMES.contains(&name)
    }
}

pub struct ParseOptions<'a> {
    pub macros: &'a Macros,
    pub types: &'a dyn TypeNames,
}

/// A parsed source plus what the caller needs for checks DTrace makes after
/// parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub program: Program,
    /// Whether each macro argument (`$0`, `$1`, ...) was referenced, in an
    /// expression or a probe description.
    pub referenced_args: Vec<bool>,
    /// `#pragma D option argref` was seen.
    pub argref: bool,
}

impl Parsed {
    /// DTrace rejects a source that does not reference the last argument
    /// given (unless `-x argref`): `D_MACRO_UNUSED`.
    pub fn check_arguments(&self, args: &[String], argref: bool) -> Result<(), Diag> {
        let n = args.len();
        if n > 1
            && !argref
            && !self.argref
            && !self.referenced_args.get(n - 1).copied().unwrap_or(false)
        {
            return Err(Diag::without_span(
                "D_MACRO_UNUSED",
                format!(
                    "extraneous argument '{}' (${} is not referenced)",
                    args[n - 1],
                    n - 1
                ),
            ));
        }
        Ok(())
    }
}

/// Parses one source. Probe descriptions without predicate or actions are
/// accepted only from command-line probe specifiers ([`Origin::Spec`]),
/// whose descriptions are also always descriptions (never type names) and
/// fill the fields from the one the specifier names.
pub fn parse(source: &Source, source_index: u32, opts: &ParseOptions) -> Result<Program, Diag> {
    parse_full(source, source_index, opts).map(|p| p.program)
}

/// [`parse`], also returning which macro arguments were referenced.
pub fn parse_full(source: &Source, source_index: u32, opts: &ParseOptions) -> Result<Parsed, Diag> {
    let spec_kind = match &source.origin {
        Origin::Spec(kind) => Some(*kind),
        Origin::Script(_) | Origin::Library(_) => None,
    };
    let mut p = Parser {
        lex: Lexer::new(&source.text, source_index, opts.macros, spec_kind.is_some()),
        source: source_index,
        mode: Mode::Outer,
        peeked: None,
        last_end: 0,
        types: opts.types,
        typedefs: HashSet::new(),
        variables: HashSet::new(),
        ambiguous: HashSet::new(),
        spec_kind,
        depth: 0,
        items: Vec::new(),
    };
    p.program().map_err(|d| *d)?;
    Ok(Parsed {
        referenced_args: p.lex.referenced_args().to_vec(),
        argref: p.lex.argref(),
        program: Program { items: p.items },
    })
}

/// The names declared by `typedef` in `program`, for building the
/// [`TypeNames`] of sources parsed after it.
pub fn typedef_names(program: &Program) -> Vec<String> {
    program
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Decl(d) if d.specs.storage == Some(Storage::Typedef) => Some(d),
            _ => None,
        })
        .flat_map(|d| {
            d.declarators
                .iter()
                .filter_map(|i| i.declarator.name.clone())
        })
        .collect()
}

/// Splits ``module`name`` at its last backquote.
fn split_scope(full: &str) -> (Option<&str>, &str) {
    match full.rfind('`') {
        Some(i) => (Some(&full[..i]), &full[i + 1..]),
        None => (None, full),
    }
}

fn type_name_known(types: &dyn TypeNames, typedefs: &HashSet<String>, full: &str) -> bool {
    if typedefs.contains(full) {
        return true;
    }
    let (module, name) = split_scope(full);
    !name.is_empty() && types.is_type_name(module, name)
}

fn binary_op(p: Punct) -> Option<(BinaryOp, u8)> {
    use BinaryOp::*;
    Some(match p {
        Punct::PipePipe => (LogOr, 1),
        Punct::CaretCaret => (LogXor, 2),
        Punct::AmpAmp => (LogAnd, 3),
        Punct::Pipe => (BitOr, 4),
        Punct::Caret => (BitXor, 5),
        Punct::Amp => (BitAnd, 6),
        Punct::EqEq => (Eq, 7),
        Punct::NotEq => (Ne, 7),
        Punct::Lt => (Lt, 8),
        Punct::Le => (Le, 8),
        Punct::Gt => (Gt, 8),
        Punct::Ge => (Ge, 8),
        Punct::Shl => (Shl, 9),
        Punct::Shr => (Shr, 9),
        Punct::Plus => (Add, 10),
        Punct::Minus => (Sub, 10),
        Punct::Star => (Mul, 11),
        Punct::Slash => (Div, 11),
        Punct::Percent => (Mod, 11),
        _ => return None,
    })
}

fn assign_op(p: Punct) -> Option<Option<BinaryOp>> {
    use BinaryOp::*;
    Some(match p {
        Punct::Assign => None,
        Punct::MulAssign => Some(Mul),
        Punct::DivAssign => Some(Div),
        Punct::ModAssign => Some(Mod),
        Punct::AddAssign => Some(Add),
        Punct::SubAssign => Some(Sub),
        Punct::ShlAssign => Some(Shl),
        Punct::ShrAssign => Some(Shr),
        Punct::AndAssign => Some(BitAnd),
        Punct::XorAssign => Some(BitXor),
        Punct::OrAssign => Some(BitOr),
        _ => return None,
    })
}

fn unary_op(p: Punct) -> Option<UnaryOp> {
    Some(match p {
        Punct::Amp => UnaryOp::AddrOf,
        Punct::Star => UnaryOp::Deref,
        Punct::Plus => UnaryOp::Plus,
        Punct::Minus => UnaryOp::Neg,
        Punct::Tilde => UnaryOp::BitNot,
        Punct::Bang => UnaryOp::Not,
        _ => return None,
    })
}

/// Which storage classes a list of declaration specifiers may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StorageAllowed {
    /// Type names and struct members: none.
    None,
    /// Parameters: C's.
    C,
    /// Outer declarations: C's plus `self` and `this`.
    D,
}

/// Whether a declarator must, may or must not have a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DeclaratorKind {
    Named,
    Abstract,
    Either,
}

struct Parser<'a> {
    lex: Lexer<'a>,
    source: u32,
    mode: Mode,
    /// The lookahead token, the mode it was scanned in, and the lexer state
    /// to restore to scan it again in another mode.
    peeked: Option<(Token, Mode, LexState)>,
    /// End offset of the last consumed token.
    last_end: usize,
    types: &'a dyn TypeNames,
    typedefs: HashSet<String>,
    variables: HashSet<String>,
    /// Type names seen used as variables (`foo_t = 1`).
    ambiguous: HashSet<String>,
    spec_kind: Option<SpecKind>,
    depth: usize,
    items: Vec<Item>,
}

/// Errors are boxed inside the parser to keep recursive frames small.
type PResult<T> = Result<T, Box<Diag>>;

impl<'a> Parser<'a> {
    // ------------------------------------------------------------------
    // Token access
    // ------------------------------------------------------------------

    fn fill(&mut self) -> PResult<()> {
        if let Some((tok, mode, state)) = &self.peeked {
            if *mode == self.mode {
                return Ok(());
            }
            // Scan the token again under the new mode's rules.
            let state = *state;
            debug_assert_eq!(state.pos, tok.span.start as usize);
            self.lex.restore(state);
            self.peeked = None;
        }
        let before = self.lex.state();
        let Parser {
            lex,
            types,
            typedefs,
            mode,
            ..
        } = self;
        let types: &dyn TypeNames = *types;
        let tok = lex.next_token(*mode, &|name| type_name_known(types, typedefs, name))?;
        let state = before.at(tok.span.start as usize);
        self.peeked = Some((tok, self.mode, state));
        Ok(())
    }

    fn peek(&mut self) -> PResult<&Token> {
        self.fill()?;
        match &self.peeked {
            Some((tok, _, _)) => Ok(tok),
            None => Err(internal_error()),
        }
    }

    fn peek_kind(&mut self) -> PResult<TokenKind> {
        Ok(self.peek()?.kind.clone())
    }

    fn bump(&mut self) -> PResult<Token> {
        self.fill()?;
        let Some((tok, _, _)) = self.peeked.take() else {
            return Err(internal_error());
        };
        self.last_end = tok.span.end as usize;
        Ok(tok)
    }

    fn peek_start(&mut self) -> PResult<usize> {
        Ok(self.peek()?.span.start as usize)
    }

    /// The lookahead if it is an operator or punctuation.
    fn peek_punct(&mut self) -> PResult<Option<Punct>> {
        Ok(match self.peek()?.kind {
            TokenKind::Punct(p) => Some(p),
            _ => None,
        })
    }

    fn at_punct(&mut self, p: Punct) -> PResult<bool> {
        Ok(self.peek()?.kind == TokenKind::Punct(p))
    }

    fn at_keyword(&mut self, k: Keyword) -> PResult<bool> {
        Ok(self.peek()?.kind == TokenKind::Keyword(k))
    }

    fn eat_punct(&mut self, p: Punct) -> PResult<bool> {
        if self.at_punct(p)? {
            self.bump()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect_punct(&mut self, p: Punct) -> PResult<Token> {
        if self.at_punct(p)? {
            return self.bump();
        }
        Err(self.unexpected())
    }

    /// `syntax error near "tok"` for the lookahead token.
    fn unexpected(&mut self) -> Box<Diag> {
        match self.peek() {
            Ok(tok) => {
                let (s, e) = (tok.span.start as usize, tok.span.end as usize);
                Box::new(self.lex.syntax_near(s, e))
            }
            Err(d) => d,
        }
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(self.source, start, self.last_end.max(start))
    }

    // ------------------------------------------------------------------
    // Nesting limit
    // ------------------------------------------------------------------

    fn deeper(&mut self) -> PResult<()> {
        self.deeper_by(1)
    }

    /// Counts `cost` levels of nesting: constructs whose recursion takes
    /// more stack per level (struct bodies, declarators) cost more, so that
    /// the limit bounds stack use whatever is nested.
    fn deeper_by(&mut self, cost: usize) -> PResult<()> {
        self.depth += cost;
        if self.depth > MAX_NESTING {
            let span = match self.peek() {
                Ok(t) => t.span,
                Err(d) => return Err(d),
            };
            return Err(diag(
                "D_SYNTAX",
                span,
                format!("program is nested too deeply (more than {MAX_NESTING} levels)"),
            ));
        }
        Ok(())
    }

    // ------------------------------------------------------------------
    // Type-name decisions
    // ------------------------------------------------------------------

    fn ident_is_type(&mut self, name: &str, assign_follows: bool) -> bool {
        if self.variables.contains(name) || self.ambiguous.contains(name) {
            return false;
        }
        if !type_name_known(self.types, &self.typedefs, name) {
            return false;
        }
        if assign_follows {
            self.ambiguous.insert(name.to_string());
            return false;
        }
        true
    }

    /// Whether the lookahead begins a type name (cast, `sizeof`, ...).
    fn at_type_name(&mut self) -> PResult<bool> {
        Ok(match self.peek_kind()? {
            TokenKind::Keyword(k) => k.starts_type_name(),
            TokenKind::TypeName(_) => true,
            TokenKind::Ident {
                name,
                assign_follows,
            } => self.ident_is_type(&name, assign_follows),
            _ => false,
        })
    }

    /// Whether the lookahead begins a parameter declaration.
    fn at_parameter(&mut self) -> PResult<bool> {
        if let TokenKind::Keyword(k) = self.peek_kind()?
            && k.is_storage_class()
        {
            return Ok(true);
        }
        self.at_type_name()
    }

    // ------------------------------------------------------------------
    // Top level
    // ------------------------------------------------------------------

    fn flush_pragmas(&mut self) {
        for p in self.lex.take_pragmas() {
            self.items.push(Item::Pragma(p));
        }
    }

    fn program(&mut self) -> PResult<()> {
        loop {
            self.mode = Mode::Outer;
            let item = match self.peek_kind()? {
                TokenKind::Eof => break,
                TokenKind::ProbeSpec(_) | TokenKind::Int { .. } => Item::Clause(self.clause()?),
                TokenKind::Keyword(Keyword::Inline) => Item::Inline(self.inline_def()?),
                TokenKind::Keyword(Keyword::Translator) => Item::Translator(self.translator()?),
                TokenKind::Keyword(Keyword::Provider) => Item::Provider(self.provider()?),
                TokenKind::Keyword(_) | TokenKind::TypeName(_) => Item::Decl(self.declaration()?),
                _ => return Err(self.unexpected()),
            };
            self.flush_pragmas();
            self.items.push(item);
        }
        self.flush_pragmas();
        Ok(())
    }

    fn probe_spec(&mut self, tok: Token) -> PResult<ProbeSpec> {
        let kind = self.spec_kind.unwrap_or(SpecKind::Name);
        match tok.kind {
            TokenKind::Int { value, .. } => {
                if value > u64::from(u32::MAX) {
                    return Err(diag(
                        "D_PDESC_INVAL",
                        tok.span,
                        format!("identifier {value} exceeds maximum probe id"),
                    ));
                }
                let what = match kind {
                    SpecKind::Provider => Some("providers"),
                    SpecKind::Module => Some("modules"),
                    SpecKind::Function => Some("functions"),
                    SpecKind::Name | SpecKind::Id => None,
                };
                if let Some(what) = what {
                    return Err(diag(
                        "D_PDESC_INVAL",
                        tok.span,
                        format!("probe identifier {value} not permitted when specifying {what}"),
                    ));
                }
                let digits = value.to_string();
                Ok(ProbeSpec {
                    text: digits.clone(),
                    provider: String::new(),
                    module: String::new(),
                    function: String::new(),
                    name: digits,
                    span: tok.span,
                })
            }
            TokenKind::ProbeSpec(text) => {
                let macros: &Macros = self.lex.macros();
                probedesc::split(
                    &text,
                    kind,
                    macros,
                    self.lex.referenced_args_mut(),
                    tok.span,
                )
                .map_err(|e| {
                    diag(
                        "D_PDESC_INVAL",
                        tok.span,
                        format!("invalid probe description \"{text}\": {}", e.message()),
                    )
                })
            }
            _ => Err(Box::new(
                self.lex
                    .syntax_near(tok.span.start as usize, tok.span.end as usize),
            )),
        }
    }

    fn clause(&mut self) -> PResult<Clause> {
        let start = self.peek_start()?;
        let mut probes = Vec::new();
        loop {
            let tok = self.bump()?;
            probes.push(self.probe_spec(tok)?);
            if !self.eat_punct(Punct::Comma)? {
                break;
            }
            if !matches!(
                self.peek_kind()?,
                TokenKind::ProbeSpec(_) | TokenKind::Int { .. }
            ) {
                return Err(self.unexpected());
            }
        }
        let mut predicate = None;
        let body = match self.peek_kind()? {
            TokenKind::Punct(Punct::LBrace) => {
                self.bump()?;
                Some(self.clause_body()?)
            }
            TokenKind::Punct(Punct::Slash) => {
                self.bump()?;
                self.mode = Mode::Expr;
                let pred = self.expression()?;
                if !self.at_punct(Punct::EndPred)? {
                    return Err(self.unexpected());
                }
                self.bump()?;
                if !self.at_punct(Punct::LBrace)? {
                    let span = self.peek()?.span;
                    return Err(diag(
                        "D_SYNTAX",
                        span,
                        "expected actions { } following probe description and predicate",
                    ));
                }
                self.bump()?;
                predicate = Some(pred);
                Some(self.clause_body()?)
            }
            _ => {
                if self.spec_kind.is_none() {
                    let span = probes
                        .first()
                        .map_or_else(|| self.span_from(start), |p| p.span);
                    return Err(diag(
                        "D_SYNTAX",
                        span,
                        "expected predicate and/or actions following probe description",
                    ));
                }
                None
            }
        };
        Ok(Clause {
            probes,
            predicate,
            body,
            span: self.span_from(start),
        })
    }

    /// The statements of a clause after its `{`, through its `}`.
    fn clause_body(&mut self) -> PResult<Vec<Stmt>> {
        self.mode = Mode::Expr;
        let stmts = self.statement_list()?;
        self.expect_punct(Punct::RBrace)?;
        self.mode = Mode::Outer;
        Ok(stmts)
    }

    // ------------------------------------------------------------------
    // Statements
    // ------------------------------------------------------------------

    /// Statements up to (not including) a `}`. The last one may omit its `;`.
    fn statement_list(&mut self) -> PResult<Vec<Stmt>> {
        let mut stmts = Vec::new();
        while !self.at_punct(Punct::RBrace)? {
            stmts.push(*self.statement(true)?);
        }
        Ok(stmts)
    }

    // Statements nest through `if`; like expressions, they are boxed to
    // keep the recursive frames small.

    fn statement(&mut self, last_may_omit_semi: bool) -> PResult<Box<Stmt>> {
        match self.peek()?.kind {
            TokenKind::Punct(Punct::Semi) => {
                let span = self.bump()?.span;
                Ok(Box::new(Stmt {
                    kind: StmtKind::Empty,
                    span,
                }))
            }
            TokenKind::Keyword(Keyword::If) => {
                self.deeper()?;
                let s = self.if_statement()?;
                self.depth -= 1;
                Ok(s)
            }
            _ => self.expression_statement(last_may_omit_semi),
        }
    }

    fn expression_statement(&mut self, last_may_omit_semi: bool) -> PResult<Box<Stmt>> {
        let e = self.expression_boxed()?;
        let ends =
            self.eat_punct(Punct::Semi)? || (last_may_omit_semi && self.at_punct(Punct::RBrace)?);
        if !ends {
            return Err(self.unexpected());
        }
        let span = self.span_from(e.span.start as usize);
        Ok(Box::new(Stmt {
            kind: StmtKind::Expr(*e),
            span,
        }))
    }

    fn if_statement(&mut self) -> PResult<Box<Stmt>> {
        let start = self.bump()?.span.start as usize;
        self.expect_punct(Punct::LParen)?;
        let cond = self.expression_boxed()?;
        self.expect_punct(Punct::RParen)?;
        let then = self.branch()?;
        let otherwise = if self.at_keyword(Keyword::Else)? {
            self.bump()?;
            Some(self.branch()?)
        } else {
            None
        };
        Ok(Box::new(Stmt {
            kind: StmtKind::If {
                cond: *cond,
                then,
                otherwise,
            },
            span: self.span_from(start),
        }))
    }

    /// The body of `if` or `else`: a block or a single statement.
    fn branch(&mut self) -> PResult<Vec<Stmt>> {
        if self.eat_punct(Punct::LBrace)? {
            let stmts = self.statement_list()?;
            self.expect_punct(Punct::RBrace)?;
            return Ok(stmts);
        }
        Ok(vec![*self.statement(false)?])
    }

    // ------------------------------------------------------------------
    // Expressions
    // ------------------------------------------------------------------

    /// `expression`: assignments separated by the comma operator.
    fn expression(&mut self) -> PResult<Expr> {
        self.expression_boxed().map(|e| *e)
    }

    // The functions below recurse for every level of nesting. They pass
    // boxed trees and boxed errors so that their frames stay small, count
    // the depth inline, and leave rare cases to functions of their own:
    // stack use per level is what bounds `MAX_NESTING`.

    fn expression_boxed(&mut self) -> PResult<Box<Expr>> {
        let saved = self.depth;
        let mut e = self.assignment()?;
        while self.peek_punct()? == Some(Punct::Comma) {
            self.deeper()?;
            self.bump()?;
            let rhs = self.assignment()?;
            let span = e.span.to(rhs.span);
            e = boxed(ExprKind::Comma { lhs: e, rhs }, span);
        }
        self.depth = saved;
        Ok(e)
    }

    fn assignment(&mut self) -> PResult<Box<Expr>> {
        self.deeper()?;
        let (lhs, is_unary) = self.conditional()?;
        let Some(op) = self.peek_punct()?.and_then(assign_op) else {
            self.depth -= 1;
            return Ok(lhs);
        };
        // C allows only a unary expression to the left of `=`.
        if !is_unary {
            return Err(self.unexpected());
        }
        self.bump()?;
        let rhs = self.assignment()?;
        self.depth -= 1;
        let span = lhs.span.to(rhs.span);
        Ok(boxed(ExprKind::Assign { op, lhs, rhs }, span))
    }

    /// Returns the expression and whether it is a unary expression (a valid
    /// assignment target, syntactically).
    fn conditional(&mut self) -> PResult<(Box<Expr>, bool)> {
        let (cond, is_unary) = self.binary()?;
        if self.peek_punct()? != Some(Punct::Question) {
            return Ok((cond, is_unary));
        }
        self.ternary_rest(cond).map(|e| (e, false))
    }

    /// The rest of `cond ? then : otherwise` after `cond`.
    fn ternary_rest(&mut self, cond: Box<Expr>) -> PResult<Box<Expr>> {
        self.bump()?;
        let then = self.expression_boxed()?;
        self.expect_punct(Punct::Colon)?;
        self.deeper()?;
        let (otherwise, _) = self.conditional()?;
        self.depth -= 1;
        let span = cond.span.to(otherwise.span);
        Ok(boxed(
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            },
            span,
        ))
    }

    /// Binary operators by precedence, all left-associative, parsed with an
    /// explicit operator stack so that precedence levels cost no recursion.
    fn binary(&mut self) -> PResult<(Box<Expr>, bool)> {
        let saved = self.depth;
        let (first, is_unary) = self.cast()?;
        let Some((op, prec)) = self.peek_punct()?.and_then(binary_op) else {
            return Ok((first, is_unary));
        };
        let mut operands = vec![first];
        let mut ops: Vec<(BinaryOp, u8)> = Vec::new();
        let mut next = Some((op, prec));
        while let Some((op, prec)) = next {
            self.deeper()?;
            self.bump()?;
            while let Some(&(top, top_prec)) = ops.last()
                && top_prec >= prec
            {
                ops.pop();
                reduce_binary(&mut operands, top);
            }
            ops.push((op, prec));
            operands.push(self.cast()?.0);
            next = self.peek_punct()?.and_then(binary_op);
        }
        while let Some((op, _)) = ops.pop() {
            reduce_binary(&mut operands, op);
        }
        self.depth = saved;
        let Some(e) = operands.pop() else {
            return Err(internal_error());
        };
        Ok((e, false))
    }

    fn cast(&mut self) -> PResult<(Box<Expr>, bool)> {
        if self.peek_punct()? != Some(Punct::LParen) {
            return Ok((self.unary()?, true));
        }
        let start = self.bump()?.span.start as usize;
        if self.at_type_name()? {
            return self.cast_rest(start).map(|e| (e, false));
        }
        let e = self.parenthesized(start)?;
        Ok((self.postfix_rest(e)?, true))
    }

    /// The rest of `(type) operand` after its `(`.
    fn cast_rest(&mut self, start: usize) -> PResult<Box<Expr>> {
        let ty = self.type_name()?;
        self.expect_punct(Punct::RParen)?;
        self.deeper()?;
        let (operand, _) = self.cast()?;
        self.depth -= 1;
        Ok(boxed(ExprKind::Cast { ty, operand }, self.span_from(start)))
    }

    /// The rest of `( expression )` after its `(`.
    fn parenthesized(&mut self, start: usize) -> PResult<Box<Expr>> {
        let mut e = self.expression_boxed()?;
        self.expect_punct(Punct::RParen)?;
        e.span = self.span_from(start);
        Ok(e)
    }

    fn unary(&mut self) -> PResult<Box<Expr>> {
        match self.peek()?.kind {
            TokenKind::Punct(p)
                if unary_op(p).is_some() || matches!(p, Punct::PlusPlus | Punct::MinusMinus) =>
            {
                self.prefix_op(p)
            }
            TokenKind::Keyword(Keyword::Sizeof | Keyword::Stringof) => self.sizeof_stringof(),
            _ => {
                let e = self.primary()?;
                self.postfix_rest(e)
            }
        }
    }

    /// `++x`, `--x`, `-x`, `*p`, ...: the operator is at the lookahead.
    fn prefix_op(&mut self, p: Punct) -> PResult<Box<Expr>> {
        let start = self.bump()?.span.start as usize;
        self.deeper()?;
        let kind = match unary_op(p) {
            Some(op) => ExprKind::Unary {
                op,
                operand: self.cast()?.0,
            },
            None => ExprKind::IncDec {
                increment: p == Punct::PlusPlus,
                prefix: true,
                operand: self.unary()?,
            },
        };
        self.depth -= 1;
        Ok(boxed(kind, self.span_from(start)))
    }

    /// `sizeof expr`, `sizeof (type)`, `stringof expr`.
    fn sizeof_stringof(&mut self) -> PResult<Box<Expr>> {
        let tok = self.bump()?;
        let start = tok.span.start as usize;
        let is_sizeof = tok.kind == TokenKind::Keyword(Keyword::Sizeof);
        self.deeper()?;
        let kind = if !is_sizeof {
            ExprKind::Stringof(self.unary()?)
        } else if self.peek_punct()? == Some(Punct::LParen) {
            let lparen = self.bump()?.span.start as usize;
            if self.at_type_name()? {
                let ty = self.type_name()?;
                self.expect_punct(Punct::RParen)?;
                ExprKind::SizeofType(ty)
            } else {
                let inner = self.parenthesized(lparen)?;
                ExprKind::SizeofExpr(self.postfix_rest(inner)?)
            }
        } else {
            ExprKind::SizeofExpr(self.unary()?)
        };
        self.depth -= 1;
        Ok(boxed(kind, self.span_from(start)))
    }

    /// Postfix operators after a primary expression: `[i]`, `(args)`, `.m`,
    /// `->m`, `++`, `--`.
    fn postfix_rest(&mut self, mut e: Box<Expr>) -> PResult<Box<Expr>> {
        let saved = self.depth;
        while let Some(p) = self.peek_punct()? {
            if !matches!(
                p,
                Punct::LBracket
                    | Punct::LParen
                    | Punct::Dot
                    | Punct::Arrow
                    | Punct::PlusPlus
                    | Punct::MinusMinus
            ) {
                break;
            }
            self.deeper()?;
            self.bump()?;
            e = match p {
                Punct::LBracket => {
                    let index = self.arguments()?;
                    self.expect_punct(Punct::RBracket)?;
                    let span = self.span_from(e.span.start as usize);
                    boxed(ExprKind::Index { base: e, index }, span)
                }
                Punct::LParen => self.call_rest(e)?,
                Punct::Dot | Punct::Arrow => self.member_rest(e, p == Punct::Arrow)?,
                _ => {
                    let span = self.span_from(e.span.start as usize);
                    boxed(
                        ExprKind::IncDec {
                            increment: p == Punct::PlusPlus,
                            prefix: false,
                            operand: e,
                        },
                        span,
                    )
                }
            };
        }
        self.depth = saved;
        Ok(e)
    }

    /// The rest of a call after its `(`; the callee must be a name.
    fn call_rest(&mut self, callee: Box<Expr>) -> PResult<Box<Expr>> {
        let args = if self.at_punct(Punct::RParen)? {
            Vec::new()
        } else {
            self.arguments()?
        };
        self.expect_punct(Punct::RParen)?;
        let span = self.span_from(callee.span.start as usize);
        let name_span = callee.span;
        let name = match callee.kind {
            ExprKind::Ident(name) => name,
            ExprKind::Scoped { module, name } => format!("{module}`{name}"),
            _ => {
                return Err(diag(
                    "D_FUNC_IDENT",
                    name_span,
                    "function designator is not of function type",
                ));
            }
        };
        Ok(boxed(
            ExprKind::Call {
                name,
                name_span,
                args,
            },
            span,
        ))
    }

    /// The rest of `base.member` or `base->member` after the operator.
    fn member_rest(&mut self, base: Box<Expr>, arrow: bool) -> PResult<Box<Expr>> {
        let tok = self.peek()?;
        let member = match &tok.kind {
            TokenKind::Ident { name, .. } | TokenKind::TypeName(name) => name.clone(),
            // Kernel structures have members named like D keywords
            // (atomic_t's `counter`); accept them.
            TokenKind::Keyword(_) => {
                let span = tok.span;
                self.lex
                    .text_of(span.start as usize, span.end as usize)
                    .to_string()
            }
            _ => return Err(self.unexpected()),
        };
        self.bump()?;
        let span = self.span_from(base.span.start as usize);
        let kind = match &base.kind {
            ExprKind::Ident(b) if arrow && b == "self" => ExprKind::SelfVar(member),
            ExprKind::Ident(b) if arrow && b == "this" => ExprKind::ThisVar(member),
            _ => ExprKind::Member {
                base,
                member,
                arrow,
            },
        };
        Ok(boxed(kind, span))
    }

    /// `constant_expression` (array sizes, bit-field widths).
    fn constant_expression(&mut self) -> PResult<Expr> {
        Ok(*self.conditional()?.0)
    }

    fn assignment_value(&mut self) -> PResult<Expr> {
        Ok(*self.assignment()?)
    }

    /// `argument_expression_list`: one or more assignment expressions.
    fn arguments(&mut self) -> PResult<Vec<Expr>> {
        let mut args = vec![*self.assignment()?];
        while self.eat_punct(Punct::Comma)? {
            args.push(*self.assignment()?);
        }
        Ok(args)
    }

    fn primary(&mut self) -> PResult<Box<Expr>> {
        match self.peek()?.kind {
            TokenKind::Punct(Punct::LParen) => self.parenthesized_primary(),
            TokenKind::Keyword(Keyword::Xlate) => self.xlate(),
            TokenKind::Keyword(Keyword::Offsetof) => self.offsetof(),
            _ => self.primary_token(),
        }
    }

    /// `( expression )` where a cast is not allowed (`++(int)x` is an error).
    fn parenthesized_primary(&mut self) -> PResult<Box<Expr>> {
        let start = self.bump()?.span.start as usize;
        if self.at_type_name()? {
            return Err(self.unexpected());
        }
        self.parenthesized(start)
    }

    /// `xlate < type > ( expression )`
    #[inline(never)]
    fn xlate(&mut self) -> PResult<Box<Expr>> {
        let start = self.bump()?.span.start as usize;
        self.expect_punct(Punct::Lt)?;
        let ty = Box::new(self.type_name()?);
        self.expect_punct(Punct::Gt)?;
        let lparen = self.expect_punct(Punct::LParen)?.span.start as usize;
        let operand = self.parenthesized(lparen)?;
        Ok(boxed(
            ExprKind::Xlate { ty: *ty, operand },
            self.span_from(start),
        ))
    }

    /// `offsetof ( type , member )`
    #[inline(never)]
    fn offsetof(&mut self) -> PResult<Box<Expr>> {
        let start = self.bump()?.span.start as usize;
        self.expect_punct(Punct::LParen)?;
        let ty = self.type_name()?;
        self.expect_punct(Punct::Comma)?;
        let member = match self.peek_kind()? {
            TokenKind::Ident { name, .. } | TokenKind::TypeName(name) => name,
            _ => return Err(self.unexpected()),
        };
        self.bump()?;
        self.expect_punct(Punct::RParen)?;
        Ok(boxed(
            ExprKind::Offsetof { ty, member },
            self.span_from(start),
        ))
    }

    /// Names, constants, `self` and `this`: single-token expressions.
    #[inline(never)]
    fn primary_token(&mut self) -> PResult<Box<Expr>> {
        let tok = self.peek()?.clone();
        let span = tok.span;
        let kind = match tok.kind {
            TokenKind::Ident {
                name,
                assign_follows,
            } => {
                if self.ident_is_type(&name, assign_follows) {
                    return Err(self.unexpected());
                }
                match split_scope(&name) {
                    (Some(module), n) => ExprKind::Scoped {
                        module: module.to_string(),
                        name: n.to_string(),
                    },
                    (None, _) => ExprKind::Ident(name),
                }
            }
            TokenKind::Agg(name) => ExprKind::Agg(name),
            TokenKind::Int {
                value,
                suffix,
                radix,
                sign,
            } => {
                let int = ExprKind::Int {
                    value,
                    suffix,
                    radix,
                };
                match sign {
                    None => int,
                    Some(sign) => ExprKind::Unary {
                        op: match sign {
                            Sign::Plus => UnaryOp::Plus,
                            Sign::Minus => UnaryOp::Neg,
                        },
                        operand: boxed(int, span),
                    },
                }
            }
            TokenKind::Char(v) => ExprKind::Char(v),
            TokenKind::Float(v) => ExprKind::Float(v),
            TokenKind::Str(s) => ExprKind::Str(s),
            TokenKind::Keyword(Keyword::SelfKw) => ExprKind::Ident("self".into()),
            TokenKind::Keyword(Keyword::This) => ExprKind::Ident("this".into()),
            _ => return Err(self.unexpected()),
        };
        self.bump()?;
        Ok(boxed(kind, span))
    }

    // ------------------------------------------------------------------
    // Declarations
    // ------------------------------------------------------------------

    fn decl_specs(&mut self, allowed: StorageAllowed) -> PResult<DeclSpecs> {
        let start = self.peek_start()?;
        let mut storage = None;
        let (mut is_const, mut is_volatile, mut is_restrict, mut is_userland) =
            (false, false, false, false);
        let mut keywords = Vec::new();
        let mut named: Option<BaseType> = None;
        // Set once a type *name* was given (`int`, `foo_t`, `struct s`):
        // identifiers after it are declarators, never types.
        let mut has_name = false;
        let mut any = false;
        loop {
            let tok = self.peek()?.clone();
            // A type name or tag cannot be combined with another type.
            let combo =
                |named: &Option<BaseType>, keywords: &Vec<TypeKeyword>, with_keywords: bool| {
                    if named.is_some() || (with_keywords && !keywords.is_empty()) {
                        return Err(diag("D_DECL_COMBO", tok.span, "invalid type combination"));
                    }
                    Ok(())
                };
            match tok.kind {
                TokenKind::Keyword(k) => {
                    use Keyword as K;
                    let class = match k {
                        K::Auto => Some(Storage::Auto),
                        K::Register => Some(Storage::Register),
                        K::Static => Some(Storage::Static),
                        K::Extern => Some(Storage::Extern),
                        K::Typedef => Some(Storage::Typedef),
                        K::SelfKw if allowed == StorageAllowed::D => Some(Storage::SelfVar),
                        K::This if allowed == StorageAllowed::D => Some(Storage::ThisVar),
                        _ => None,
                    };
                    if let Some(class) = class {
                        if allowed == StorageAllowed::None {
                            break;
                        }
                        if storage.is_some() {
                            return Err(diag(
                                "D_DECL_CLASS",
                                tok.span,
                                "only one storage class allowed in a declaration",
                            ));
                        }
                        storage = Some(class);
                        self.bump()?;
                        any = true;
                        continue;
                    }
                    let keyword = match k {
                        K::Const => {
                            is_const = true;
                            None
                        }
                        K::Volatile => {
                            is_volatile = true;
                            None
                        }
                        K::Restrict => {
                            is_restrict = true;
                            None
                        }
                        K::Userland => {
                            is_userland = true;
                            None
                        }
                        K::Void => Some((TypeKeyword::Void, true)),
                        K::Char => Some((TypeKeyword::Char, true)),
                        K::Int => Some((TypeKeyword::Int, true)),
                        K::Float => Some((TypeKeyword::Float, true)),
                        K::Double => Some((TypeKeyword::Double, true)),
                        K::String => Some((TypeKeyword::String, true)),
                        K::Short => Some((TypeKeyword::Short, false)),
                        K::Long => Some((TypeKeyword::Long, false)),
                        K::Signed => Some((TypeKeyword::Signed, false)),
                        K::Unsigned => Some((TypeKeyword::Unsigned, false)),
                        K::Struct | K::Union | K::Enum => {
                            combo(&named, &keywords, true)?;
                            let base = if k == K::Enum {
                                self.enum_specifier()?
                            } else {
                                self.struct_specifier()?
                            };
                            named = Some(base);
                            has_name = true;
                            any = true;
                            continue;
                        }
                        _ => break,
                    };
                    if let Some((kw, names)) = keyword {
                        combo(&named, &keywords, false)?;
                        keywords.push(kw);
                        has_name |= names;
                    }
                    self.bump()?;
                }
                TokenKind::TypeName(name) if !has_name => {
                    combo(&named, &keywords, true)?;
                    self.bump()?;
                    self.mode = Mode::Expr;
                    named = Some(named_type(&name));
                    has_name = true;
                }
                TokenKind::Ident {
                    name,
                    assign_follows,
                } if !has_name && self.ident_is_type(&name, assign_follows) => {
                    combo(&named, &keywords, true)?;
                    self.bump()?;
                    named = Some(named_type(&name));
                    has_name = true;
                }
                _ => break,
            }
            any = true;
        }
        if !any {
            return Err(self.unexpected());
        }
        Ok(DeclSpecs {
            storage,
            is_const,
            is_volatile,
            is_restrict,
            is_userland,
            base: named.unwrap_or(BaseType::Keywords(keywords)),
            span: self.span_from(start),
        })
    }

    /// `struct|union [tag] [{ members }]`, keyword at the lookahead.
    fn struct_specifier(&mut self) -> PResult<BaseType> {
        let is_union = self.bump()?.kind == TokenKind::Keyword(Keyword::Union);
        let tag = self.tag()?;
        let members = if self.eat_punct(Punct::LBrace)? {
            const STRUCT_COST: usize = 4;
            self.deeper_by(STRUCT_COST)?;
            let mut members = vec![self.member_declaration()?];
            while !self.at_punct(Punct::RBrace)? {
                members.push(self.member_declaration()?);
            }
            self.depth -= STRUCT_COST;
            self.bump()?;
            Some(members)
        } else if tag.is_none() {
            return Err(self.unexpected());
        } else {
            None
        };
        let (module, tag) = split_tag(tag);
        Ok(BaseType::Struct {
            is_union,
            module,
            tag,
            members,
        })
    }

    /// An optional struct/union/enum tag (an identifier, type name or not).
    fn tag(&mut self) -> PResult<Option<String>> {
        match self.peek_kind()? {
            TokenKind::Ident { name, .. } | TokenKind::TypeName(name) => {
                self.bump()?;
                Ok(Some(name))
            }
            _ => Ok(None),
        }
    }

    fn member_declaration(&mut self) -> PResult<MemberDecl> {
        let start = self.peek_start()?;
        if !self.at_type_name()? {
            return Err(self.unexpected());
        }
        let specs = self.decl_specs(StorageAllowed::None)?;
        let mut declarators = Vec::new();
        loop {
            let at = self.peek_start()?;
            let (declarator, bit_width) = if self.eat_punct(Punct::Colon)? {
                let width = self.constant_expression()?;
                let span = Span::new(self.source, at, at);
                let d = Declarator {
                    name: None,
                    name_span: span,
                    derived: Vec::new(),
                    span,
                };
                (d, Some(width))
            } else {
                let d = self.declarator(DeclaratorKind::Named)?;
                let width = if self.eat_punct(Punct::Colon)? {
                    Some(self.constant_expression()?)
                } else {
                    None
                };
                (d, width)
            };
            declarators.push(MemberDeclarator {
                declarator,
                bit_width,
            });
            if !self.eat_punct(Punct::Comma)? {
                break;
            }
        }
        self.expect_punct(Punct::Semi)?;
        Ok(MemberDecl {
            specs,
            declarators,
            span: self.span_from(start),
        })
    }

    /// `enum [tag] [{ A, B = expr }]`, keyword at the lookahead.
    fn enum_specifier(&mut self) -> PResult<BaseType> {
        self.bump()?;
        let tag = self.tag()?;
        let enumerators = if self.eat_punct(Punct::LBrace)? {
            let mut list = Vec::new();
            loop {
                let start = self.peek_start()?;
                let TokenKind::Ident { name, .. } = self.peek_kind()? else {
                    return Err(self.unexpected());
                };
                self.bump()?;
                let value = if self.eat_punct(Punct::Assign)? {
                    Some(self.assignment_value()?)
                } else {
                    None
                };
                self.variables.insert(name.clone());
                list.push(Enumerator {
                    name,
                    value,
                    span: self.span_from(start),
                });
                if !self.eat_punct(Punct::Comma)? {
                    break;
                }
            }
            self.expect_punct(Punct::RBrace)?;
            Some(list)
        } else if tag.is_none() {
            return Err(self.unexpected());
        } else {
            None
        };
        let (module, tag) = split_tag(tag);
        Ok(BaseType::Enum {
            module,
            tag,
            enumerators,
        })
    }

    fn declarator(&mut self, kind: DeclaratorKind) -> PResult<Declarator> {
        Ok(*self.declarator_boxed(kind)?)
    }

    /// A (possibly abstract) declarator. Derivations are listed from the
    /// base type outwards: pointers first (in the order written), then the
    /// array and function suffixes from the last written to the first, then
    /// what the parenthesised inner declarator derives.
    fn declarator_boxed(&mut self, kind: DeclaratorKind) -> PResult<Box<Declarator>> {
        const DECLARATOR_COST: usize = 2;
        self.deeper_by(DECLARATOR_COST)?;
        let start = self.peek_start()?;
        let mut derived = self.pointers()?;
        let mut name = None;
        let mut name_span = Span::new(self.source, start, start);
        let mut inner: Option<Box<Declarator>> = None;
        let mut first_suffix = None;
        match &self.peek()?.kind {
            TokenKind::Ident { name: n, .. } if kind != DeclaratorKind::Abstract => {
                name = Some(n.clone());
                name_span = self.bump()?.span;
            }
            TokenKind::Punct(Punct::LParen) => {
                self.bump()?;
                if self.nested_declarator_follows(kind)? {
                    inner = Some(self.declarator_boxed(kind)?);
                    self.expect_punct(Punct::RParen)?;
                } else {
                    first_suffix = Some(self.function_suffix()?);
                }
            }
            _ if kind == DeclaratorKind::Named => return Err(self.unexpected()),
            _ => {}
        }
        let suffixes = self.declarator_suffixes(first_suffix)?;
        derived.extend(suffixes.into_iter().rev());
        if let Some(d) = inner {
            name = d.name;
            name_span = d.name_span;
            derived.extend(d.derived);
        }
        self.depth -= DECLARATOR_COST;
        Ok(Box::new(Declarator {
            name,
            name_span,
            derived,
            span: self.span_from(start),
        }))
    }

    /// `*`s with their qualifiers, at the start of a declarator.
    fn pointers(&mut self) -> PResult<Vec<Derived>> {
        let mut derived = Vec::new();
        while self.eat_punct(Punct::Star)? {
            let (mut is_const, mut is_volatile, mut is_restrict) = (false, false, false);
            loop {
                match self.peek()?.kind {
                    TokenKind::Keyword(Keyword::Const) => is_const = true,
                    TokenKind::Keyword(Keyword::Volatile) => is_volatile = true,
                    TokenKind::Keyword(Keyword::Restrict) => is_restrict = true,
                    _ => break,
                }
                self.bump()?;
            }
            derived.push(Derived::Pointer {
                is_const,
                is_volatile,
                is_restrict,
            });
        }
        Ok(derived)
    }

    /// After a `(` where a declarator's name could be: whether it opens a
    /// parenthesised declarator (`(*p)`) rather than parameters (`(int)`).
    fn nested_declarator_follows(&mut self, kind: DeclaratorKind) -> PResult<bool> {
        if kind == DeclaratorKind::Named {
            return Ok(true);
        }
        Ok(match self.peek_kind()? {
            TokenKind::Punct(Punct::Star | Punct::LParen | Punct::LBracket) => true,
            TokenKind::Ident {
                name,
                assign_follows,
            } => kind == DeclaratorKind::Either && !self.ident_is_type(&name, assign_follows),
            _ => false,
        })
    }

    /// Array and function suffixes, in the order written.
    fn declarator_suffixes(&mut self, first: Option<Derived>) -> PResult<Vec<Derived>> {
        let mut suffixes: Vec<Derived> = first.into_iter().collect();
        loop {
            if self.eat_punct(Punct::LBracket)? {
                suffixes.push(Derived::Array(self.array_dim()?));
            } else if self.eat_punct(Punct::LParen)? {
                suffixes.push(self.function_suffix()?);
            } else {
                return Ok(suffixes);
            }
        }
    }

    /// The rest of `[ ... ]` after its `[`.
    fn array_dim(&mut self) -> PResult<ArrayDim> {
        let dim = if self.at_punct(Punct::RBracket)? {
            ArrayDim::Unsized
        } else if self.at_parameter()? || self.at_punct(Punct::Ellipsis)? {
            ArrayDim::Keys(self.parameter_list(Punct::RBracket)?.0)
        } else {
            ArrayDim::Size(self.constant_expression()?)
        };
        self.expect_punct(Punct::RBracket)?;
        Ok(dim)
    }

    /// The rest of `( params )` after its `(`.
    fn function_suffix(&mut self) -> PResult<Derived> {
        let (params, varargs) = if self.at_punct(Punct::RParen)? {
            (Vec::new(), false)
        } else {
            self.parameter_list(Punct::RParen)?
        };
        self.expect_punct(Punct::RParen)?;
        Ok(Derived::Function { params, varargs })
    }

    /// `parameter_type_list`, up to (not including) `close`.
    fn parameter_list(&mut self, close: Punct) -> PResult<(Vec<Param>, bool)> {
        let mut params = Vec::new();
        loop {
            if self.eat_punct(Punct::Ellipsis)? {
                return Ok((params, true));
            }
            params.push(self.parameter()?);
            if self.at_punct(close)? || !self.eat_punct(Punct::Comma)? {
                return Ok((params, false));
            }
        }
    }

    fn parameter(&mut self) -> PResult<Param> {
        let start = self.peek_start()?;
        if !self.at_parameter()? {
            return Err(self.unexpected());
        }
        let specs = self.decl_specs(StorageAllowed::C)?;
        let mut declarator = self.declarator(DeclaratorKind::Either)?;
        let name = declarator.name.take();
        let span = self.span_from(start);
        Ok(Param {
            ty: TypeName {
                specs,
                declarator,
                span,
            },
            name,
            span,
        })
    }

    fn type_name(&mut self) -> PResult<TypeName> {
        let start = self.peek_start()?;
        if !self.at_type_name()? {
            return Err(self.unexpected());
        }
        let specs = self.decl_specs(StorageAllowed::None)?;
        let declarator = self.declarator(DeclaratorKind::Abstract)?;
        Ok(TypeName {
            specs,
            declarator,
            span: self.span_from(start),
        })
    }

    /// Records what a declaration declares, for later type-name decisions.
    fn declare(&mut self, storage: Option<Storage>, name: &Option<String>) {
        let Some(name) = name else { return };
        match storage {
            Some(Storage::Typedef) => {
                self.typedefs.insert(name.clone());
            }
            Some(Storage::SelfVar | Storage::ThisVar) => {}
            _ => {
                self.variables.insert(name.clone());
            }
        }
    }

    fn declaration(&mut self) -> PResult<Declaration> {
        // A type name recognised at the outer scope stays one even if it is
        // also a variable (DTrace asks only for a type there): it is
        // consumed as scanned, and the rest of the declaration is scanned
        // in expression mode.
        if !matches!(self.peek()?.kind, TokenKind::TypeName(_)) {
            self.mode = Mode::Expr;
        }
        let start = self.peek_start()?;
        let specs = self.decl_specs(StorageAllowed::D)?;
        let mut declarators = Vec::new();
        if !self.at_punct(Punct::Semi)? {
            loop {
                let declarator = self.declarator(DeclaratorKind::Named)?;
                self.declare(specs.storage, &declarator.name);
                let init = if self.eat_punct(Punct::Assign)? {
                    Some(self.assignment_value()?)
                } else {
                    None
                };
                declarators.push(InitDeclarator { declarator, init });
                if !self.eat_punct(Punct::Comma)? {
                    break;
                }
            }
        }
        self.expect_punct(Punct::Semi)?;
        self.mode = Mode::Outer;
        Ok(Declaration {
            specs,
            declarators,
            span: self.span_from(start),
        })
    }

    fn inline_def(&mut self) -> PResult<InlineDef> {
        self.mode = Mode::Expr;
        let start = self.bump()?.span.start as usize;
        let specs = self.decl_specs(StorageAllowed::D)?;
        let declarator = self.declarator(DeclaratorKind::Named)?;
        self.declare(None, &declarator.name);
        self.expect_punct(Punct::Assign)?;
        let value = self.assignment_value()?;
        self.expect_punct(Punct::Semi)?;
        self.mode = Mode::Outer;
        Ok(InlineDef {
            specs,
            declarator,
            value,
            span: self.span_from(start),
        })
    }

    fn identifier(&mut self) -> PResult<String> {
        match self.peek_kind()? {
            TokenKind::Ident { name, .. } => {
                self.bump()?;
                Ok(name)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn translator(&mut self) -> PResult<TranslatorDef> {
        self.mode = Mode::Expr;
        let start = self.bump()?.span.start as usize;
        let output = self.type_name()?;
        self.expect_punct(Punct::Lt)?;
        let input = self.type_name()?;
        let input_name = self.identifier()?;
        self.expect_punct(Punct::Gt)?;
        self.expect_punct(Punct::LBrace)?;
        let mut members = Vec::new();
        while !self.at_punct(Punct::RBrace)? {
            let mstart = self.peek_start()?;
            let name = self.identifier()?;
            self.expect_punct(Punct::Assign)?;
            let value = self.assignment_value()?;
            self.expect_punct(Punct::Semi)?;
            members.push(TranslatorMember {
                name,
                value,
                span: self.span_from(mstart),
            });
        }
        self.bump()?;
        self.expect_punct(Punct::Semi)?;
        self.mode = Mode::Outer;
        Ok(TranslatorDef {
            output,
            input,
            input_name,
            members,
            span: self.span_from(start),
        })
    }

    fn provider(&mut self) -> PResult<ProviderDef> {
        self.mode = Mode::Expr;
        let start = self.bump()?.span.start as usize;
        let name = self.identifier()?;
        self.expect_punct(Punct::LBrace)?;
        let mut probes = Vec::new();
        while !self.at_punct(Punct::RBrace)? {
            let pstart = self.peek_start()?;
            if !self.at_keyword(Keyword::Probe)? {
                return Err(self.unexpected());
            }
            self.bump()?;
            let pname = self.identifier()?;
            self.expect_punct(Punct::LParen)?;
            let args = match self.function_suffix()? {
                Derived::Function { params, .. } => params,
                _ => Vec::new(),
            };
            let xargs = if self.eat_punct(Punct::Colon)? {
                self.expect_punct(Punct::LParen)?;
                match self.function_suffix()? {
                    Derived::Function { params, .. } => Some(params),
                    _ => None,
                }
            } else {
                None
            };
            self.expect_punct(Punct::Semi)?;
            probes.push(ProviderProbe {
                name: pname,
                args,
                xargs,
                span: self.span_from(pstart),
            });
        }
        self.bump()?;
        self.expect_punct(Punct::Semi)?;
        self.mode = Mode::Outer;
        Ok(ProviderDef {
            name,
            probes,
            span: self.span_from(start),
        })
    }
}

/// A broken parser invariant, reported rather than panicked on (DTrace's
/// `D_UNKNOWN` "internal error" class).
fn internal_error() -> Box<Diag> {
    Box::new(Diag::without_span(
        "D_UNKNOWN",
        "internal error -- parser lost its lookahead token",
    ))
}

fn diag(tag: &'static str, span: Span, message: impl Into<String>) -> Box<Diag> {
    Box::new(Diag::new(tag, span, message))
}

fn boxed(kind: ExprKind, span: Span) -> Box<Expr> {
    Box::new(Expr::new(kind, span))
}

/// Replaces the last two operands by their combination with `op`.
// The operands are kept boxed: they become the tree's `Box` children as is.
#[allow(clippy::vec_box)]
fn reduce_binary(operands: &mut Vec<Box<Expr>>, op: BinaryOp) {
    // There is always one more operand than operators.
    if let (Some(rhs), Some(lhs)) = (operands.pop(), operands.pop()) {
        let span = lhs.span.to(rhs.span);
        operands.push(boxed(ExprKind::Binary { op, lhs, rhs }, span));
    }
}

fn named_type(full: &str) -> BaseType {
    let (module, name) = split_scope(full);
    BaseType::Named {
        module: module.map(str::to_string),
        name: name.to_string(),
    }
}

fn split_tag(tag: Option<String>) -> (Option<String>, Option<String>) {
    match tag {
        Some(t) => match split_scope(&t) {
            (Some(m), n) => (Some(m.to_string()), Some(n.to_string())),
            (None, _) => (None, Some(t)),
        },
        None => (None, None),
    }
}

#[cfg(test)]
mod tests;
