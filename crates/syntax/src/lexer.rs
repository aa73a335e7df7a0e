//! The D lexer.
//!
//! D is scanned in two modes, chosen by the parser before each token:
//!
//! * **Outer** (DTrace's state S2), at the start of every top-level item.
//!   Probe descriptions use characters that are operators elsewhere
//!   (`profile-97`, `syscall::read*:entry`), so here a run of description
//!   characters is one [`TokenKind::ProbeSpec`]. Only the words that begin
//!   a declaration or definition are keywords (`int`, `struct`, `inline`,
//!   `translator`, `self`, ...). A run without `:` that names a type is a
//!   type name instead (`uint64_t x;`); if it contains `*` only the part
//!   before it is tested and the rest is scanned again (`foo_t*p;`). With
//!   the `pspec` option (always on for `-n`/`-P`/... specifiers) such runs
//!   are always descriptions. Digits are a numeric probe id.
//! * **Expr** (S0) for predicates, clause bodies, declarations and
//!   definitions: C tokens plus D's `@agg`, `^^`, backquote-scoped names
//!   and macro variables, which are substituted here (see
//!   [`crate::macros`]).
//!
//! Two C ambiguities are settled by looking at raw characters, exactly as
//! DTrace does, so that the same programs are accepted:
//!
//! * A `/` followed (after blanks) by end of input, `;`, `{` or `/` closes
//!   a predicate ([`Punct::EndPred`]); otherwise it divides. Open `(` or `[`
//!   at that point are errors ("closing ) expected in predicate before /").
//! * For an identifier, the lexer records whether `=` (not `==`), `[`, `++`
//!   or `--` follows; the parser uses it to read a name that is also a type
//!   as a variable being assigned (see [`TokenKind::Ident`]).
//!
//! Between tokens, in both modes, the lexer skips blanks, `/* */` comments
//! (nesting is an error), `//` comments, and *control lines*: a `#` that is
//! the first non-blank character of a line. `#!` lines are ignored.
//! `#pragma D option|depends_on|attributes|binding` are checked and queued
//! as [`Pragma`] items for the parser; `#pragma error`, `#error` fail;
//! `#ident` is ignored; line markers (`# 12 "file"`, `#line 12`, `#pragma
//! line 12`) renumber lines, which [`scan_line_markers`] computes ahead of
//! time for [`crate::source::Source`]; anything else is an invalid control
//! directive. Pragmas take effect where they appear: `defaultargs` and
//! `pspec` change how the rest of the text is scanned.
//!
//! Parenthesis, bracket and brace depths are tracked while scanning
//! expression-mode tokens, so that an unbalanced `)` is reported as "extra )
//! in input stream" before the parser sees it, as DTrace reports it.

use crate::ast::{IntSuffix, Pragma, Radix};
use crate::diag::Diag;
use crate::macros::{Macros, decode_escapes, is_bad_ident_or_number, strtoull};
use crate::source::Span;
use crate::token::{Keyword, Punct, Sign, Token, TokenKind};

/// Which set of token rules applies; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Outer,
    Expr,
}

/// Position and nesting counters: enough to scan a token again in another
/// mode without counting its brackets twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LexState {
    pub(crate) pos: usize,
    parens: i32,
    brackets: i32,
    braces: i32,
}

pub struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    source: u32,
    macros: &'a Macros,
    default_args: bool,
    pspec: bool,
    argref: bool,
    parens: i32,
    brackets: i32,
    braces: i32,
    pragmas: Vec<Pragma>,
    referenced: Vec<bool>,
}

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'`'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'`'
}

fn is_pspec_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || b"-$:_.?*\\[]!".contains(&c)
}

fn is_pspec_char(c: u8) -> bool {
    is_pspec_start(c) || c.is_ascii_digit() || c == b'`'
}

/// Length of the integer constant (`[0-9]+` or `0x` hex digits, then
/// `[uU]?[lL]?[lL]?`) at the start of `b`, or 0.
fn int_literal_len(b: &[u8]) -> usize {
    let mut i;
    if b.len() >= 3 && b[0] == b'0' && matches!(b[1], b'x' | b'X') && b[2].is_ascii_hexdigit() {
        i = 3;
        while b.get(i).is_some_and(u8::is_ascii_hexdigit) {
            i += 1;
        }
    } else {
        i = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if i == 0 {
            return 0;
        }
    }
    if matches!(b.get(i), Some(b'u' | b'U')) {
        i += 1;
    }
    for _ in 0..2 {
        if matches!(b.get(i), Some(b'l' | b'L')) {
            i += 1;
        }
    }
    i
}

/// Length of the floating-point constant at the start of `b`, or 0.
fn float_literal_len(b: &[u8]) -> usize {
    let digits = |from: usize| {
        b[from.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut i;
    match b.first() {
        Some(c) if c.is_ascii_digit() => {
            i = digits(0);
            if b.get(i) == Some(&b'.') {
                i += 1;
            }
            i += digits(i);
        }
        Some(b'.') if b.get(1).is_some_and(u8::is_ascii_digit) => i = 1 + digits(1),
        _ => return 0,
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let n = digits(j);
        if n > 0 {
            i = j + n;
        }
    }
    if matches!(b.get(i), Some(b'f' | b'F' | b'l' | b'L')) {
        i += 1;
    }
    i
}

fn int_suffix(s: &str) -> IntSuffix {
    IntSuffix {
        unsigned: s.contains(['u', 'U']),
        longs: s
            .bytes()
            .filter(|c| matches!(c, b'l' | b'L'))
            .count()
            .min(2) as u8,
    }
}

fn radix_of(digits: &str) -> Radix {
    if digits.starts_with("0x") || digits.starts_with("0X") {
        Radix::Hex
    } else if digits.starts_with('0') {
        Radix::Octal
    } else {
        Radix::Decimal
    }
}

/// The C base types that are also keywords: a description-looking run such
/// as `int*` that starts with one of them begins a declaration.
fn base_type_keyword(word: &str) -> Option<Keyword> {
    use Keyword::*;
    let k = Keyword::from_word(word)?;
    matches!(
        k,
        Void | Char | Short | Int | Long | Float | Double | Signed | Unsigned | String
    )
    .then_some(k)
}

/// One word of a control line.
#[derive(Debug, Clone)]
enum CtlKind {
    Word(String),
    Str(Vec<u8>),
    Int,
}

#[derive(Debug, Clone)]
struct CtlTok {
    kind: CtlKind,
    raw: String,
    start: usize,
    end: usize,
}

impl LexState {
    /// This state with the position moved to `pos` (a token's start).
    pub(crate) fn at(self, pos: usize) -> LexState {
        LexState { pos, ..self }
    }
}

impl<'a> Lexer<'a> {
    /// A lexer over `text`, the source numbered `source` in spans.
    /// `pspec` is DTrace's "ambiguous names are probe descriptions" flag
    /// (set for command-line probe specifiers and by `-x pspec`).
    pub fn new(text: &'a str, source: u32, macros: &'a Macros, pspec: bool) -> Self {
        Lexer {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            source,
            macros,
            default_args: macros.default_args,
            pspec,
            argref: false,
            parens: 0,
            brackets: 0,
            braces: 0,
            pragmas: Vec::new(),
            referenced: vec![false; macros.args.len()],
        }
    }

    pub(crate) fn state(&self) -> LexState {
        LexState {
            pos: self.pos,
            parens: self.parens,
            brackets: self.brackets,
            braces: self.braces,
        }
    }

    pub(crate) fn restore(&mut self, s: LexState) {
        self.pos = s.pos;
        self.parens = s.parens;
        self.brackets = s.brackets;
        self.braces = s.braces;
    }

    /// Pragma items seen since the last call, in source order.
    pub fn take_pragmas(&mut self) -> Vec<Pragma> {
        std::mem::take(&mut self.pragmas)
    }

    /// Which macro arguments (`$0`, `$1`, ...) were referenced so far.
    pub fn referenced_args(&self) -> &[bool] {
        &self.referenced
    }

    pub(crate) fn referenced_args_mut(&mut self) -> &mut [bool] {
        &mut self.referenced
    }

    /// Whether `#pragma D option argref` was seen.
    pub fn argref(&self) -> bool {
        self.argref
    }

    pub(crate) fn macros(&self) -> &'a Macros {
        self.macros
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.source, start, end)
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    /// The source text between two offsets ("" if they are not valid).
    pub(crate) fn text_of(&self, start: usize, end: usize) -> &'a str {
        self.slice(start, end)
    }

    /// A D_SYNTAX error with DTrace's " near ..." suffix naming the text.
    pub(crate) fn syntax_near(&self, start: usize, end: usize) -> Diag {
        let near = if start >= self.bytes.len() {
            "syntax error near end of input".to_string()
        } else {
            format!("syntax error near \"{}\"", self.slice(start, end))
        };
        Diag::new("D_SYNTAX", self.span(start, end), near)
    }

    /// `syntax error near "c"` for the single character at `pos`.
    fn bad_char(&self, pos: usize) -> Diag {
        let len = self
            .text
            .get(pos..)
            .and_then(|s| s.chars().next())
            .map_or(1, char::len_utf8);
        self.syntax_near(pos, pos + len)
    }

    fn error(&self, tag: &'static str, start: usize, end: usize, msg: impl Into<String>) -> Diag {
        Diag::new(tag, self.span(start, end), msg)
    }

    fn peek_byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn token(&self, kind: TokenKind, start: usize, end: usize) -> Token {
        Token {
            kind,
            span: self.span(start, end),
        }
    }

    /// Scans the next token in `mode`. `is_type` tells whether a name is a
    /// type (only consulted in outer mode).
    pub fn next_token(
        &mut self,
        mode: Mode,
        is_type: &dyn Fn(&str) -> bool,
    ) -> Result<Token, Diag> {
        self.skip_trivia(mode)?;
        let start = self.pos;
        let Some(c) = self.peek_byte(start) else {
            return Ok(self.token(TokenKind::Eof, start, start));
        };
        match mode {
            Mode::Outer => self.outer_token(c, start, is_type),
            Mode::Expr => self.expr_token(c, start),
        }
    }

    // ------------------------------------------------------------------
    // Trivia: blanks, comments, control lines
    // ------------------------------------------------------------------

    fn skip_trivia(&mut self, mode: Mode) -> Result<(), Diag> {
        while let Some(c) = self.peek_byte(self.pos) {
            let next = self.peek_byte(self.pos + 1);
            match c {
                _ if is_blank(c) => self.pos += 1,
                b'\\' if mode == Mode::Expr && next == Some(b'\n') => self.pos += 2,
                b'/' if next == Some(b'*') => self.block_comment()?,
                b'/' if next == Some(b'/') => {
                    while self.peek_byte(self.pos).is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b'#' if at_line_start(self.bytes, self.pos) => {
                    if next == Some(b'!') {
                        while self.peek_byte(self.pos).is_some_and(|c| c != b'\n') {
                            self.pos += 1;
                        }
                    } else {
                        self.control_line()?;
                    }
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn block_comment(&mut self) -> Result<(), Diag> {
        let mut i = self.pos + 2;
        loop {
            match (self.peek_byte(i), self.peek_byte(i + 1)) {
                (None, _) => {
                    let end = self.bytes.len();
                    return Err(self.error(
                        "D_SYNTAX",
                        end,
                        end,
                        "end-of-file encountered before matching */",
                    ));
                }
                (Some(b'*'), Some(b'/')) => {
                    self.pos = i + 2;
                    return Ok(());
                }
                (Some(b'/'), Some(b'*')) => {
                    return Err(self.error(
                        "D_SYNTAX",
                        i,
                        i + 2,
                        "/* encountered inside a comment",
                    ));
                }
                _ => i += 1,
            }
        }
    }

    /// Scans the words of the control line whose `#` is at `self.pos`, up to
    /// and including its newline.
    fn control_words(&mut self) -> Result<Vec<CtlTok>, Diag> {
        let mut words = Vec::new();
        let mut i = self.pos + 1;
        let eof_error = |l: &Self| {
            let end = l.bytes.len();
            l.error(
                "D_SYNTAX",
                end,
                end,
                "end-of-file encountered before end of control line",
            )
        };
        loop {
            let Some(c) = self.peek_byte(i) else {
                return Err(eof_error(self));
            };
            match c {
                b'\n' => {
                    self.pos = i + 1;
                    return Ok(words);
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => i += 1,
                b'"' => {
                    let start = i;
                    i += 1;
                    loop {
                        match self.peek_byte(i) {
                            None => return Err(eof_error(self)),
                            Some(b'\n') => {
                                return Err(self.error(
                                    "D_STR_NL",
                                    start,
                                    i,
                                    "newline encountered in string literal",
                                ));
                            }
                            Some(b'"') => break,
                            Some(b'\\') => match self.peek_byte(i + 1) {
                                None => return Err(eof_error(self)),
                                Some(b'\n') => return Err(self.syntax_near(start, start + 1)),
                                Some(_) => i += 2,
                            },
                            Some(_) => i += 1,
                        }
                    }
                    i += 1;
                    let raw = self.slice(start, i);
                    let value = decode_escapes(&self.bytes[start + 1..i - 1]);
                    words.push(CtlTok {
                        kind: CtlKind::Str(value),
                        raw: raw.to_string(),
                        start,
                        end: i,
                    });
                }
                _ => {
                    let start = i;
                    while self.peek_byte(i).is_some_and(|c| {
                        !matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c | b'"')
                    }) {
                        i += 1;
                    }
                    let raw = self.slice(start, i);
                    let kind = if int_literal_len(raw.as_bytes()) == raw.len() {
                        self.int_value(raw, start, i)?;
                        CtlKind::Int
                    } else {
                        CtlKind::Word(raw.to_string())
                    };
                    words.push(CtlTok {
                        kind,
                        raw: raw.to_string(),
                        start,
                        end: i,
                    });
                }
            }
        }
    }

    /// Processes one control line, DTrace's `dt_pragma()`.
    fn control_line(&mut self) -> Result<(), Diag> {
        let hash = self.pos;
        let words = self.control_words()?;
        // The item's span ends before the newline.
        let line_end = self.pos.saturating_sub(1).max(hash);
        #[derive(PartialEq, PartialOrd)]
        enum Level {
            Directive,
            Pragma,
            DPragma,
        }
        let mut level = Level::Directive;
        for (i, w) in words.iter().enumerate() {
            let word = match &w.kind {
                CtlKind::Int => return self.pragma_line("line", w, &words[i..]),
                CtlKind::Str(_) => {
                    return Err(self.error(
                        "D_PRAGCTL_INVAL",
                        w.start,
                        w.end,
                        "invalid control directive",
                    ));
                }
                CtlKind::Word(word) => word.as_str(),
            };
            if level == Level::Directive && word == "pragma" {
                level = Level::Pragma;
                continue;
            }
            if level == Level::Pragma && word == "D" {
                level = Level::DPragma;
                continue;
            }
            let args = &words[i + 1..];
            let (known, needs) = match word {
                "attributes" | "binding" | "depends_on" | "option" => (true, Level::DPragma),
                "error" | "ident" | "line" => (true, Level::Directive),
                _ => (false, Level::Directive),
            };
            if known && needs <= level {
                return match word {
                    "line" => self.pragma_line(word, w, args),
                    "ident" => Ok(()),
                    "error" => Err(self.pragma_error(w, args)),
                    _ => {
                        self.d_pragma(word, w, args)?;
                        let words = words.iter().map(|w| w.raw.clone()).collect::<Vec<_>>();
                        let first = usize::from(words.first().is_some_and(|w| w == "pragma"));
                        self.pragmas.push(Pragma {
                            words: words[first..].to_vec(),
                            span: self.span(hash, line_end),
                        });
                        Ok(())
                    }
                };
            }
            return match level {
                Level::Directive => Err(self.error(
                    "D_PRAGCTL_INVAL",
                    w.start,
                    w.end,
                    format!("invalid control directive: #{word}"),
                )),
                // Unknown non-D pragmas are ignored, as C compilers do.
                Level::Pragma => Ok(()),
                Level::DPragma => Err(self.error(
                    "D_PRAGMA_INVAL",
                    w.start,
                    w.end,
                    format!("invalid D pragma: {word}"),
                )),
            };
        }
        // A null directive (`#` alone, `#pragma`, `#pragma D`) is ignored.
        Ok(())
    }

    /// `#line N ["file" [state]]` and `# N "file" ...`: only validated here;
    /// the renumbering is computed by [`scan_line_markers`].
    fn pragma_line(&self, name: &str, at: &CtlTok, args: &[CtlTok]) -> Result<(), Diag> {
        let ok = matches!(args.first().map(|t| &t.kind), Some(CtlKind::Int))
            && args
                .get(1)
                .is_none_or(|t| matches!(t.kind, CtlKind::Str(_)))
            && args.get(2).is_none_or(|t| matches!(t.kind, CtlKind::Int));
        if ok {
            return Ok(());
        }
        Err(self.error(
            "D_PRAGMA_MALFORM",
            at.start,
            at.end,
            format!("malformed #{name} <line> [ [\"file\"] state ]"),
        ))
    }

    /// `#pragma error tokens...`: the identifiers and strings, each followed
    /// by a space.
    fn pragma_error(&self, w: &CtlTok, args: &[CtlTok]) -> Diag {
        let mut msg = String::from("#error: ");
        for a in args {
            match &a.kind {
                CtlKind::Word(s) => msg.push_str(s),
                CtlKind::Str(s) => msg.push_str(&String::from_utf8_lossy(s)),
                CtlKind::Int => continue,
            }
            msg.push(' ');
        }
        self.error("D_PRAGERR", w.start, w.end, msg)
    }

    /// Checks the form of `#pragma D option|depends_on|attributes|binding`
    /// and applies the options that change scanning.
    fn d_pragma(&mut self, name: &str, w: &CtlTok, args: &[CtlTok]) -> Result<(), Diag> {
        let word = |i: usize| match args.get(i).map(|t| &t.kind) {
            Some(CtlKind::Word(s)) => Some(s.as_str()),
            _ => None,
        };
        let malformed = |l: &Self, form: &str| {
            l.error(
                "D_PRAGMA_MALFORM",
                w.start,
                w.end,
                format!("malformed #pragma {name} {form}"),
            )
        };
        match name {
            "option" => {
                let Some(opt) = word(0) else {
                    return Err(malformed(self, "<option>=<val>"));
                };
                if args.len() > 1 {
                    return Err(self.error(
                        "D_PRAGMA_MALFORM",
                        w.start,
                        w.end,
                        format!("superfluous arguments specified for #pragma {name}"),
                    ));
                }
                // Options that are compiler flags take effect at once.
                match opt {
                    "defaultargs" => self.default_args = true,
                    "pspec" => self.pspec = true,
                    "argref" => self.argref = true,
                    _ => {}
                }
            }
            "depends_on" => {
                let (Some(class), Some(_)) = (word(0), word(1)) else {
                    return Err(malformed(self, "<class> <name>"));
                };
                if !matches!(class, "provider" | "module" | "library") {
                    return Err(self.error(
                        "D_PRAGMA_INVAL",
                        w.start,
                        w.end,
                        format!("invalid class {class} specified by #pragma {name}"),
                    ));
                }
            }
            "attributes" => {
                let (Some(attrs), Some(_)) = (word(0), word(1)) else {
                    return Err(malformed(self, "<attributes> <ident>"));
                };
                if !valid_attributes(attrs) {
                    return Err(self.error(
                        "D_PRAGMA_INVAL",
                        w.start,
                        w.end,
                        format!("invalid attributes specified by #pragma {name}"),
                    ));
                }
            }
            "binding" => {
                let version = match args.first().map(|t| &t.kind) {
                    Some(CtlKind::Str(v)) if word(1).is_some() => v,
                    _ => return Err(malformed(self, "\"version\" <ident>")),
                };
                if !valid_version(version) {
                    return Err(self.error(
                        "D_PRAGMA_INVAL",
                        w.start,
                        w.end,
                        format!("invalid version string specified by #pragma {name}"),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    // ------------------------------------------------------------------
    // Outer scope
    // ------------------------------------------------------------------

    fn outer_token(
        &mut self,
        c: u8,
        start: usize,
        is_type: &dyn Fn(&str) -> bool,
    ) -> Result<Token, Diag> {
        if c.is_ascii_digit() {
            return self.int_token(start);
        }
        if is_pspec_start(c) {
            let mut end = start;
            while self.peek_byte(end).is_some_and(is_pspec_char) {
                end += 1;
            }
            let run = self.slice(start, end);
            if let Some(k) = Keyword::from_outer_word(run) {
                self.pos = end;
                return Ok(self.token(TokenKind::Keyword(k), start, end));
            }
            if !self.pspec && !run.contains(':') {
                let candidate = match run.find('*') {
                    Some(star) if star > 0 => &run[..star],
                    _ => run,
                };
                let cend = start + candidate.len();
                let kind = if let Some(k) = base_type_keyword(candidate) {
                    Some(TokenKind::Keyword(k))
                } else if is_type(candidate) {
                    Some(TokenKind::TypeName(candidate.to_string()))
                } else {
                    None
                };
                if let Some(kind) = kind {
                    self.pos = cend;
                    return Ok(self.token(kind, start, cend));
                }
            }
            self.pos = end;
            return Ok(self.token(TokenKind::ProbeSpec(run.to_string()), start, end));
        }
        let punct = match c {
            b'/' => Punct::Slash,
            b',' => Punct::Comma,
            b'{' => {
                self.braces += 1;
                Punct::LBrace
            }
            _ => return Err(self.bad_char(start)),
        };
        self.pos = start + 1;
        Ok(self.token(TokenKind::Punct(punct), start, start + 1))
    }

    // ------------------------------------------------------------------
    // Expression scope
    // ------------------------------------------------------------------

    fn expr_token(&mut self, c: u8, start: usize) -> Result<Token, Diag> {
        let rest = &self.bytes[start..];
        if c.is_ascii_digit() || (c == b'.' && rest.get(1).is_some_and(u8::is_ascii_digit)) {
            let il = int_literal_len(rest);
            let fl = float_literal_len(rest);
            if fl > il {
                let end = start + fl;
                let text = self
                    .slice(start, end)
                    .trim_end_matches(['f', 'F', 'l', 'L']);
                let value = text.parse::<f64>().unwrap_or(f64::NAN);
                self.pos = end;
                return Ok(self.token(TokenKind::Float(value), start, end));
            }
            return self.int_token(start);
        }
        if is_ident_start(c) {
            return Ok(self.ident_token(start));
        }
        match c {
            b'$' => return self.macro_token(start),
            b'@' => {
                let mut end = start + 1;
                if self
                    .peek_byte(end)
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
                {
                    while self
                        .peek_byte(end)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                    {
                        end += 1;
                    }
                }
                self.pos = end;
                let name = self.slice(start + 1, end).to_string();
                return Ok(self.token(TokenKind::Agg(name), start, end));
            }
            b'"' => return self.string_token(start),
            b'\'' => return self.char_token(start),
            _ => {}
        }
        let (punct, len) = self.punct(c, start)?;
        match punct {
            Punct::LParen => self.parens += 1,
            Punct::RParen => {
                self.parens -= 1;
                if self.parens < 0 {
                    return Err(self.error(
                        "D_SYNTAX",
                        start,
                        start + 1,
                        "extra ) in input stream",
                    ));
                }
            }
            Punct::LBracket => self.brackets += 1,
            Punct::RBracket => {
                self.brackets -= 1;
                if self.brackets < 0 {
                    return Err(self.error(
                        "D_SYNTAX",
                        start,
                        start + 1,
                        "extra ] in input stream",
                    ));
                }
            }
            Punct::LBrace => self.braces += 1,
            Punct::RBrace => {
                self.braces -= 1;
                if self.braces < 0 {
                    return Err(self.error(
                        "D_SYNTAX",
                        start,
                        start + 1,
                        "extra } in input stream",
                    ));
                }
            }
            _ => {}
        }
        self.pos = start + len;
        Ok(self.token(TokenKind::Punct(punct), start, start + len))
    }

    /// The operator at `start` (longest match) and its length.
    fn punct(&self, c: u8, start: usize) -> Result<(Punct, usize), Diag> {
        use Punct::*;
        let n1 = self.peek_byte(start + 1);
        let n2 = self.peek_byte(start + 2);
        let p = match (c, n1, n2) {
            (b'(', _, _) => (LParen, 1),
            (b')', _, _) => (RParen, 1),
            (b'[', _, _) => (LBracket, 1),
            (b']', _, _) => (RBracket, 1),
            (b'{', _, _) => (LBrace, 1),
            (b'}', _, _) => (RBrace, 1),
            (b';', _, _) => (Semi, 1),
            (b',', _, _) => (Comma, 1),
            (b'?', _, _) => (Question, 1),
            (b'~', _, _) => (Tilde, 1),
            (b':', _, _) => (Colon, 1),
            (b'.', Some(b'.'), Some(b'.')) => (Ellipsis, 3),
            (b'.', _, _) => (Dot, 1),
            (b'-', Some(b'>'), _) => (Arrow, 2),
            (b'-', Some(b'-'), _) => (MinusMinus, 2),
            (b'-', Some(b'='), _) => (SubAssign, 2),
            (b'-', _, _) => (Minus, 1),
            (b'+', Some(b'+'), _) => (PlusPlus, 2),
            (b'+', Some(b'='), _) => (AddAssign, 2),
            (b'+', _, _) => (Plus, 1),
            (b'*', Some(b'='), _) => (MulAssign, 2),
            (b'*', _, _) => (Star, 1),
            (b'/', Some(b'='), _) => (DivAssign, 2),
            (b'/', _, _) => (self.slash_kind(start)?, 1),
            (b'%', Some(b'='), _) => (ModAssign, 2),
            (b'%', _, _) => (Percent, 1),
            (b'&', Some(b'&'), _) => (AmpAmp, 2),
            (b'&', Some(b'='), _) => (AndAssign, 2),
            (b'&', _, _) => (Amp, 1),
            (b'|', Some(b'|'), _) => (PipePipe, 2),
            (b'|', Some(b'='), _) => (OrAssign, 2),
            (b'|', _, _) => (Pipe, 1),
            (b'^', Some(b'^'), _) => (CaretCaret, 2),
            (b'^', Some(b'='), _) => (XorAssign, 2),
            (b'^', _, _) => (Caret, 1),
            (b'!', Some(b'='), _) => (NotEq, 2),
            (b'!', _, _) => (Bang, 1),
            (b'=', Some(b'='), _) => (EqEq, 2),
            (b'=', _, _) => (Assign, 1),
            (b'<', Some(b'<'), Some(b'=')) => (ShlAssign, 3),
            (b'<', Some(b'<'), _) => (Shl, 2),
            (b'<', Some(b'='), _) => (Le, 2),
            (b'<', _, _) => (Lt, 1),
            (b'>', Some(b'>'), Some(b'=')) => (ShrAssign, 3),
            (b'>', Some(b'>'), _) => (Shr, 2),
            (b'>', Some(b'='), _) => (Ge, 2),
            (b'>', _, _) => (Gt, 1),
            _ => return Err(self.bad_char(start)),
        };
        Ok(p)
    }

    /// Division or end of predicate, by the next non-blank character.
    fn slash_kind(&self, start: usize) -> Result<Punct, Diag> {
        let mut i = start + 1;
        while self.peek_byte(i).is_some_and(is_blank) {
            i += 1;
        }
        match self.peek_byte(i) {
            None | Some(b';' | b'{' | b'/') => {
                if self.parens != 0 {
                    return Err(self.error(
                        "D_SYNTAX",
                        start,
                        start + 1,
                        "closing ) expected in predicate before /",
                    ));
                }
                if self.brackets != 0 {
                    return Err(self.error(
                        "D_SYNTAX",
                        start,
                        start + 1,
                        "closing ] expected in predicate before /",
                    ));
                }
                Ok(Punct::EndPred)
            }
            Some(_) => Ok(Punct::Slash),
        }
    }

    /// Whether the characters after `end` are `=` (not `==`), `[`, `++` or
    /// `--`, skipping blanks (DTrace's lookahead for type-or-variable names).
    fn assign_follows(&self, end: usize) -> bool {
        let mut i = end;
        while self.peek_byte(i).is_some_and(is_blank) {
            i += 1;
        }
        let c1 = self.peek_byte(i + 1);
        match self.peek_byte(i) {
            Some(c @ (b'+' | b'-')) => c1 == Some(c),
            Some(b'=') => c1 != Some(b'='),
            Some(b'[') => true,
            _ => false,
        }
    }

    /// Identifiers, keywords and backquote-scoped names. The longest of
    /// `name`, ``module` `` and ``module`name`` wins, where a module name
    /// may contain dots (``libc.so.6`errno``).
    fn ident_token(&mut self, start: usize) -> Token {
        let b = self.bytes;
        let count = |from: usize, f: fn(u8) -> bool| {
            b[from.min(b.len())..].iter().take_while(|&&c| f(c)).count()
        };
        let plain = start + count(start, is_ident_char);
        let run_end = start + count(start, |c| is_ident_char(c) || c == b'.');
        let mut end = plain;
        if let Some(k) = b[start..run_end].iter().rposition(|&c| c == b'`') {
            let k = start + k;
            end = end.max(k + 1);
            if self.peek_byte(k + 1).is_some_and(is_ident_start) {
                end = end.max(k + 1 + count(k + 1, is_ident_char));
            }
        }
        self.pos = end;
        let text = self.slice(start, end);
        if let Some(k) = Keyword::from_word(text) {
            return self.token(TokenKind::Keyword(k), start, end);
        }
        let kind = TokenKind::Ident {
            name: text.to_string(),
            assign_follows: self.assign_follows(end),
        };
        self.token(kind, start, end)
    }

    /// An integer constant at `start` (DTrace's `RGX_INT` rule).
    fn int_token(&mut self, start: usize) -> Result<Token, Diag> {
        let end = start + int_literal_len(&self.bytes[start..]);
        let text = self.slice(start, end);
        let (value, suffix) = self.int_value(text, start, end)?;
        self.pos = end;
        let kind = TokenKind::Int {
            value,
            suffix: int_suffix(suffix),
            radix: radix_of(text),
            sign: None,
        };
        Ok(self.token(kind, start, end))
    }

    /// Converts integer constant `text` like `strtoull(text, &p, 0)`; returns
    /// the value and the suffix text.
    fn int_value(&self, text: &'a str, start: usize, end: usize) -> Result<(u64, &'a str), Diag> {
        let r = strtoull(text.as_bytes());
        if r.overflow {
            return Err(self.error(
                "D_INT_OFLOW",
                start,
                end,
                format!("constant {text} results in integer overflow"),
            ));
        }
        let suffix = text.get(r.consumed..).unwrap_or("");
        if let Some(c) = suffix.chars().next()
            && !"uUlL".contains(c)
        {
            return Err(self.error(
                "D_INT_DIGIT",
                start,
                end,
                format!("constant {text} contains invalid digit {c}"),
            ));
        }
        Ok((r.value, suffix))
    }

    /// Finds the closing `quote` of a literal starting at `start`; returns
    /// the index of the closing quote.
    fn literal_end(&self, start: usize, quote: u8) -> Result<usize, Diag> {
        let (tag, what) = if quote == b'"' {
            ("D_STR_NL", "newline encountered in string literal")
        } else {
            ("D_CHR_NL", "newline encountered in character constant")
        };
        let mut i = start + 1;
        loop {
            match self.peek_byte(i) {
                None => return Err(self.syntax_near(start, start + 1)),
                Some(b'\n') => return Err(self.error(tag, start, i, what)),
                Some(c) if c == quote => return Ok(i),
                Some(b'\\') => match self.peek_byte(i + 1) {
                    None | Some(b'\n') => return Err(self.syntax_near(start, start + 1)),
                    Some(_) => i += 2,
                },
                Some(_) => i += 1,
            }
        }
    }

    fn string_token(&mut self, start: usize) -> Result<Token, Diag> {
        let close = self.literal_end(start, b'"')?;
        let value = decode_escapes(&self.bytes[start + 1..close]);
        self.pos = close + 1;
        Ok(self.token(TokenKind::Str(value), start, close + 1))
    }

    fn char_token(&mut self, start: usize) -> Result<Token, Diag> {
        let close = self.literal_end(start, b'\'')?;
        let end = close + 1;
        if close == start + 1 {
            return Err(self.error("D_CHR_NULL", start, end, "empty character constant"));
        }
        let bytes = decode_escapes(&self.bytes[start + 1..close]);
        if bytes.len() > 8 {
            return Err(self.error("D_CHR_OFLOW", start, end, "character constant is too long"));
        }
        // Like C compilers, the first character is the most significant.
        let value = bytes.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
        self.pos = end;
        Ok(self.token(TokenKind::Char(value as i64), start, end))
    }

    /// `$N`, `$$N`, `$name`, `$$name`.
    fn macro_token(&mut self, start: usize) -> Result<Token, Diag> {
        let double = self.peek_byte(start + 1) == Some(b'$');
        let body = start + 1 + usize::from(double);
        let first = self.peek_byte(body);
        if first.is_some_and(|c| c.is_ascii_digit()) {
            let end = body
                + self.bytes[body..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
            self.pos = end;
            let index = self.slice(body, end).parse::<usize>().unwrap_or(usize::MAX);
            return self.macro_arg(index, double, start, end);
        }
        if first.is_some_and(is_ident_start) {
            let end = body
                + self.bytes[body..]
                    .iter()
                    .take_while(|&&c| is_ident_char(c))
                    .count();
            self.pos = end;
            let name = self.slice(body, end);
            let Some(id) = self.macros.named_value(name) else {
                return Err(self.error(
                    "D_MACRO_UNDEF",
                    start,
                    end,
                    format!("macro variable {} is not defined", self.slice(start, end)),
                ));
            };
            let kind = if double {
                TokenKind::Str(id.to_string().into_bytes())
            } else {
                // DTrace stores the 32-bit id sign-extended: (int)di_id.
                TokenKind::Int {
                    value: i64::from(id as i32) as u64,
                    suffix: IntSuffix::default(),
                    radix: Radix::Decimal,
                    sign: None,
                }
            };
            return Ok(self.token(kind, start, end));
        }
        Err(self.bad_char(start))
    }

    fn macro_arg(
        &mut self,
        index: usize,
        double: bool,
        start: usize,
        end: usize,
    ) -> Result<Token, Diag> {
        let args = &self.macros.args;
        if index >= args.len() && !self.default_args {
            return Err(self.error(
                "D_MACRO_UNDEF",
                start,
                end,
                format!("macro argument {} is not defined", self.slice(start, end)),
            ));
        }
        if let Some(r) = self.referenced.get_mut(index) {
            *r = true;
        }
        let value: &'a str = match self.macros.args.get(index) {
            Some(v) => v.as_str(),
            None if double => "",
            None => "0",
        };
        if double {
            let kind = TokenKind::Str(decode_escapes(value.as_bytes()));
            return Ok(self.token(kind, start, end));
        }
        if is_bad_ident_or_number(value) {
            let unquoted = if value.len() != 1 && value.starts_with('"') && value.ends_with('"') {
                &value[1..value.len() - 1]
            } else {
                value
            };
            let kind = TokenKind::Str(decode_escapes(unquoted.as_bytes()));
            return Ok(self.token(kind, start, end));
        }
        let first = value.as_bytes()[0];
        if first.is_ascii_digit() || first == b'-' || first == b'+' {
            let (sign, digits) = match first {
                b'-' => (Some(Sign::Minus), &value[1..]),
                b'+' => (Some(Sign::Plus), &value[1..]),
                _ => (None, value),
            };
            let r = strtoull(digits.as_bytes());
            if r.overflow {
                return Err(self.error(
                    "D_MACRO_OFLOW",
                    start,
                    end,
                    format!(
                        "macro argument {} constant {digits} results in integer overflow",
                        self.slice(start, end)
                    ),
                ));
            }
            let kind = TokenKind::Int {
                value: r.value,
                suffix: int_suffix(digits.get(r.consumed..).unwrap_or("")),
                radix: radix_of(digits),
                sign,
            };
            return Ok(self.token(kind, start, end));
        }
        let kind = TokenKind::Ident {
            name: value.to_string(),
            assign_follows: self.assign_follows(end),
        };
        Ok(self.token(kind, start, end))
    }
}

/// Whether the `#` at `pos` is the first non-blank character of its line.
fn at_line_start(bytes: &[u8], pos: usize) -> bool {
    let mut i = pos;
    while i > 0 {
        match bytes[i - 1] {
            b'\n' => return true,
            b' ' | b'\t' | 0x0b | 0x0c => i -= 1,
            _ => return false,
        }
    }
    true
}

/// `dtrace_str2attr()`: up to three `/`-separated names, two stabilities
/// then a dependency class, case-insensitive.
fn valid_attributes(s: &str) -> bool {
    const STABILITY: [&str; 8] = [
        "Internal", "Private", "Obsolete", "External", "Unstable", "Evolving", "Stable", "Standard",
    ];
    const CLASS: [&str; 6] = ["Unknown", "CPU", "Platform", "Group", "ISA", "Common"];
    let parts: Vec<&str> = s.split('/').collect();
    for (i, p) in parts.iter().enumerate() {
        // An empty component is accepted only at the very end ("a/b/").
        if p.is_empty() && i + 1 == parts.len() {
            return true;
        }
        let known: &[&str] = match i {
            0 | 1 => &STABILITY,
            2 => &CLASS,
            _ => return false,
        };
        if !known.iter().any(|k| k.eq_ignore_ascii_case(p)) {
            return false;
        }
    }
    true
}

/// `dt_version_str2num()`: `major[.minor[.micro]]` within D's limits.
fn valid_version(s: &[u8]) -> bool {
    let mut n = [0u32; 3];
    let mut i = 0;
    for &c in s {
        if c.is_ascii_digit() {
            n[i] = n[i].saturating_mul(10).saturating_add(u32::from(c - b'0'));
        } else if c == b'.' && i < 2 {
            i += 1;
        } else {
            return false;
        }
    }
    n[0] <= 0xff && n[1] <= 0xfff && n[2] <= 0xfff
}

/// The line markers of `text`: `(offset, line)` pairs meaning that the line
/// starting at `offset` is line `line` of the user's file.
///
/// Recognised like the lexer recognises them (a `#` first on its line,
/// outside comments): `# N ...` (as the C preprocessor writes them) numbers
/// the next line N; `#line N` and `#pragma line N` number it N + 1, which is
/// what DTrace does with them. Malformed directives are ignored here; the
/// lexer reports them.
pub fn scan_line_markers(text: &str) -> Vec<(u32, u32)> {
    let b = text.as_bytes();
    let mut markers = Vec::new();
    let mut i = 0;
    let skip_to_newline = |mut i: usize| {
        while i < b.len() && b[i] != b'\n' {
            i += 1;
        }
        i
    };
    while i < b.len() {
        let next = b.get(i + 1).copied();
        match b[i] {
            b'#' if at_line_start(b, i) => {
                let end = skip_to_newline(i);
                if end < b.len()
                    && let Some(line) = marker_line(&text[i + 1..end])
                {
                    markers.push(((end + 1) as u32, line));
                }
                i = end;
            }
            b'/' if next == Some(b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b'/' if next == Some(b'/') => i = skip_to_newline(i),
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q && b[i] != b'\n' {
                    i += if b[i] == b'\\' && b.get(i + 1) != Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                }
                if b.get(i) == Some(&q) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    markers
}

/// The number a control line (text after `#`) gives the next line, if it
/// is a line marker.
fn marker_line(directive: &str) -> Option<u32> {
    let mut words = directive
        .split([' ', '\t', '\r', '\x0b', '\x0c'])
        .filter(|w| !w.is_empty());
    let number = |w: Option<&str>| -> Option<u32> {
        let w = w?;
        (int_literal_len(w.as_bytes()) == w.len()).then_some(())?;
        let r = strtoull(w.as_bytes());
        (r.consumed == w.len() && !r.overflow).then_some(r.value as u32)
    };
    let first = words.next()?;
    if let Some(n) = number(Some(first)) {
        return Some(n);
    }
    let mut word = first;
    if word == "pragma" {
        word = words.next()?;
        if word == "D" {
            word = words.next()?;
        }
        if let Some(n) = number(Some(word)) {
            return Some(n);
        }
    }
    if word == "line" {
        return number(words.next()).map(|n| n.wrapping_add(1));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex_all(text: &str, mode: Mode) -> Result<Vec<TokenKind>, Diag> {
        let macros = Macros::default();
        let mut l = Lexer::new(text, 0, &macros, false);
        let mut out = Vec::new();
        loop {
            let t = l.next_token(mode, &|n| n == "foo_t")?;
            if t.kind == TokenKind::Eof {
                return Ok(out);
            }
            out.push(t.kind);
        }
    }

    fn int(value: u64, radix: Radix, unsigned: bool, longs: u8) -> TokenKind {
        TokenKind::Int {
            value,
            suffix: IntSuffix { unsigned, longs },
            radix,
            sign: None,
        }
    }

    #[test]
    fn integers_and_floats() {
        let toks = lex_all("10 010 0x1F 10u 10UL 10ull 0 1.5 1e3 .5 2f 3l", Mode::Expr).unwrap();
        assert_eq!(
            toks,
            vec![
                int(10, Radix::Decimal, false, 0),
                int(8, Radix::Octal, false, 0),
                int(31, Radix::Hex, false, 0),
                int(10, Radix::Decimal, true, 0),
                int(10, Radix::Decimal, true, 1),
                int(10, Radix::Decimal, true, 2),
                int(0, Radix::Octal, false, 0),
                TokenKind::Float(1.5),
                TokenKind::Float(1000.0),
                TokenKind::Float(0.5),
                TokenKind::Float(2.0),
                int(3, Radix::Decimal, false, 1),
            ]
        );
    }

    #[test]
    fn scoped_identifiers() {
        let names: Vec<String> = lex_all("a`b `c libc.so.6`errno a.b x`1", Mode::Expr)
            .unwrap()
            .into_iter()
            .map(|k| match k {
                TokenKind::Ident { name, .. } => name,
                TokenKind::Punct(p) => format!("{p:?}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            names,
            ["a`b", "`c", "libc.so.6`errno", "a", "Dot", "b", "x`1"]
        );
    }

    #[test]
    fn slash_is_division_or_end_of_predicate() {
        let toks = lex_all("a / b / ; / { /\n/ /", Mode::Expr).unwrap();
        let slashes: Vec<_> = toks
            .into_iter()
            .filter_map(|k| match k {
                TokenKind::Punct(p @ (Punct::Slash | Punct::EndPred)) => Some(p),
                _ => None,
            })
            .collect();
        assert_eq!(
            slashes,
            [
                Punct::Slash,
                Punct::EndPred,
                Punct::EndPred,
                Punct::EndPred,
                Punct::EndPred,
                Punct::EndPred
            ]
        );
    }

    #[test]
    fn outer_scope_tokens() {
        let toks = lex_all(
            "syscall::read*:entry, profile-97 int foo_t*p BEGIN 42",
            Mode::Outer,
        )
        .unwrap();
        assert_eq!(
            toks,
            vec![
                TokenKind::ProbeSpec("syscall::read*:entry".into()),
                TokenKind::Punct(Punct::Comma),
                TokenKind::ProbeSpec("profile-97".into()),
                TokenKind::Keyword(Keyword::Int),
                TokenKind::TypeName("foo_t".into()),
                TokenKind::ProbeSpec("*p".into()),
                TokenKind::ProbeSpec("BEGIN".into()),
                int(42, Radix::Decimal, false, 0),
            ]
        );
    }

    #[test]
    fn assign_follows_lookahead() {
        let toks = lex_all("a = b == c [ d ++ e + f", Mode::Expr).unwrap();
        let flags: Vec<(String, bool)> = toks
            .into_iter()
            .filter_map(|k| match k {
                TokenKind::Ident {
                    name,
                    assign_follows,
                } => Some((name, assign_follows)),
                _ => None,
            })
            .collect();
        assert_eq!(
            flags,
            [
                ("a".into(), true),
                ("b".into(), false),
                ("c".into(), true),
                ("d".into(), true),
                ("e".into(), false),
                ("f".into(), false)
            ]
        );
    }

    #[test]
    fn line_markers() {
        let text = "a\n# 10 \"x.d\"\nb\n#line 20\nc\n/*\n# 5\n*/\n#pragma line 7\nd\n";
        assert_eq!(scan_line_markers(text), vec![(13, 10), (24, 21), (51, 8)]);
        assert!(scan_line_markers("x = \"# 3\";\n y #3\n'#' # 4\n").is_empty());
        assert_eq!(scan_line_markers("  #3\n"), vec![(5, 3)]);
        assert_eq!(scan_line_markers("  # 3\nx"), vec![(6, 3)]);
    }

    #[test]
    fn attributes_and_versions() {
        assert!(valid_attributes("Evolving/Evolving/Common"));
        assert!(valid_attributes("stable"));
        assert!(valid_attributes(""));
        assert!(valid_attributes("Evolving/"));
        assert!(valid_attributes("Evolving/Evolving/Common/"));
        assert!(!valid_attributes("Evolving//Common"));
        assert!(!valid_attributes("/Evolving"));
        assert!(!valid_attributes("Evolving/Bogus/Common"));
        assert!(!valid_attributes("Evolving/Evolving/Common/x"));
        assert!(valid_version(b"1.0"));
        assert!(valid_version(b"1.13"));
        assert!(valid_version(b"1.6.4"));
        assert!(!valid_version(b"1.2.3.4"));
        assert!(!valid_version(b"1.x"));
        assert!(!valid_version(b"256.0"));
    }
}
