//! Source text and positions.
//!
//! A D program reaches the compiler as several sources: each `-s` file and
//! each `-n`/`-P`/`-m`/`-f`/`-i` argument is one [`Source`], parsed on its
//! own but compiled into one program (they share variables, as in DTrace).
//! A [`Span`] names its source by index, so a diagnostic produced anywhere in
//! the pipeline can be rendered with the right prefix ("failed to compile
//! script x.d" or "invalid probe specifier ...") and the user's line number.
//!
//! Line numbers follow the user's file, not the text we parse: when `-C`
//! runs the C preprocessor, its `# N "file"` line markers are recorded in
//! [`Source::line_markers`] and [`Source::line_of`] maps offsets back through
//! them. [`Source::new`] finds the markers itself (see
//! [`crate::lexer::scan_line_markers`]), so preprocessed text and scripts
//! with `#line` directives need nothing more.

/// A byte range `[start, end)` in source number `source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub source: u32,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(source: u32, start: usize, end: usize) -> Self {
        Span {
            source,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both `self` and `other` (same source).
    pub fn to(self, other: Span) -> Span {
        Span {
            source: self.source,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// Where a source came from; decides how its errors are worded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `-s path` (and `#!` interpreter scripts). Holds the path as given.
    Script(String),
    /// A probe specifier argument (`-n`, `-P`, `-m`, `-f`, `-i`), with the
    /// field the first description denotes.
    Spec(SpecKind),
    /// A D library file shipped with (or added to) the compiler.
    Library(String),
}

/// Which field of a probe description a command-line probe specifier names,
/// when it has fewer than four fields (`-P syscall`, `-f read`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecKind {
    /// `-n`: `[[[provider:]module:]function:]name`
    Name,
    /// `-P`: `provider`
    Provider,
    /// `-m`: `[provider:]module`
    Module,
    /// `-f`: `[[provider:]module:]function`
    Function,
    /// `-i`: a probe id.
    Id,
}

#[derive(Debug, Clone)]
pub struct Source {
    pub origin: Origin,
    pub text: String,
    /// `(offset, line)`: the line starting at or after `offset` is `line`
    /// in the user's file (from `# line "file"` markers). Sorted by offset.
    pub line_markers: Vec<(u32, u32)>,
    line_starts: Vec<u32>,
}

impl Source {
    /// A source over `text`, with the line markers it contains.
    pub fn new(origin: Origin, text: String) -> Self {
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        let line_markers = crate::lexer::scan_line_markers(&text);
        Source {
            origin,
            text,
            line_markers,
            line_starts,
        }
    }

    /// The physical line (1-based) of `offset` in [`Source::text`].
    pub fn physical_line_of(&self, offset: u32) -> u32 {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }

    /// The user's line number for `offset`, honouring line markers.
    pub fn line_of(&self, offset: u32) -> u32 {
        let phys = self.physical_line_of(offset);
        // The last marker at or before this offset sets the numbering of the
        // physical line that follows it.
        let idx = self.line_markers.partition_point(|&(o, _)| o <= offset);
        if idx == 0 {
            return phys;
        }
        let (moff, mline) = self.line_markers[idx - 1];
        let mphys = self.physical_line_of(moff);
        mline + phys.saturating_sub(mphys)
    }
}
