//! The DTrace `printf` engine: format parsing, argument checking, formatting.
//!
//! A format string is cut into *descriptors*: each `%` conversion together with the literal text
//! before it, plus one trailing descriptor for literal text after the last conversion (or for an
//! empty format). Conversions are numbered from 1 in order, `%%` included; every error message
//! uses that number.
//!
//! A conversion is `%`, optional flags, width, `.` precision and size prefixes, then a name:
//! * flags are `# 0 - + ' space` and `@` (use the aggregation value, `printa()` only); `0` after
//!   `-` cancels `-` and `-` after `0` cancels `0`; `?` sets the width to 16 (pointer width);
//! * width and precision are digits or `*` (taken from the next argument, an integer; a
//!   negative width left-justifies; a precision that is not positive is ignored — DTrace never
//!   passes a zero precision to the C library, so `%.0d` prints like `%d`);
//! * size prefixes are any of `h l L w` (up to six), which together with the conversion
//!   character name an entry of the conversion table ([`conversion_names`]): `hhd`, `zu` or `lf`
//!   do not exist and are errors.
//!
//! Formatting follows what illumos does with each recorded argument:
//! * integers are read at their *record size* (the size of the D type); `%d` becomes `%i` for a
//!   signed type and `%u` for an unsigned one, and reads the record zero-extended — so a
//!   negative `char` or `short` prints as a positive number while a negative `int` or `long`
//!   prints negative; `%i`, `%hd`, `%ld`, `%lld`, `%c` sign-extend; `%o %u %x %X %p` zero-extend;
//!   8-byte records print with `ll`;
//! * `%p` is plain hexadecimal without `0x` (`%#p` adds it);
//! * `%s` prints the record bytes up to the first NUL, `%S` and `%C` print C escapes;
//! * `%a %A %k` print symbolically, `%Y %T` print wall-clock time (see [`crate::time`]);
//! * everything else is formatted exactly as the C library formats the equivalent conversion.

use std::fmt;

use crate::aggfunc::{AggFunc, stddev};
use crate::cfmt::{self, Spec};
use crate::context::{self, FormatContext};
use crate::escape::escape;
use crate::quantize::{self, HistogramStyle};
use crate::stack;
use crate::time;
use crate::value::{Value, sign_extend};

/// Widths and precisions are clamped to this many columns, so that a format string cannot make
/// the consumer allocate without bound.
pub const MAX_FIELD_WIDTH: usize = 1 << 20;

/// What kind of argument a conversion accepts. The compiler checks each argument against this
/// with [`Conversion::accepts`]; the names follow illumos's argument prototypes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgCheck {
    /// `%a`: a pointer, an integer or a `_symaddr` (`sym()`, `func()`, `mod()`).
    KernelAddress,
    /// `%A`: a `_usymaddr`; a pointer or integer only when `$target` is defined (`-c`, `-p`).
    UserAddress,
    /// `%c %C`: an integer of at most 4 bytes.
    SmallInteger,
    /// `%d %i %o %u %x %X`: any integer.
    Integer,
    /// `%e %E %f %g %G`: a floating-point value.
    Float,
    /// `%p`: a pointer or an integer.
    Pointer,
    /// `%s %S %I`: a `string` or an array of `char` (not `char *`).
    String,
    /// `%ls %ws`: an array of 32-bit integers (`wchar_t []`).
    WideString,
    /// `%k`: a stack (`stack()`, `ustack()`, `jstack()`).
    Stack,
    /// `%T %Y`: an integer of 8 bytes.
    Time,
    /// `%hx %hX`: a type whose resolved name is `short`, `signed short` or `unsigned short`.
    ShortName,
    /// `%lx %lX`: a type whose resolved name is `long`, `signed long` or `unsigned long`.
    LongName,
    /// `%llx %llX`: resolved name `long long` (any signedness), or a typedef chain that
    /// passes through `int64_t` or `uint64_t`.
    LongLongName,
    /// An integer or floating-point type whose resolved name is exactly this (`%hd`: `short`).
    Exact(&'static str),
    /// `%%`: takes no argument.
    Nothing,
}

/// How a conversion prints its argument (illumos `pfprint_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PrintKind {
    Sint,
    Uint,
    Dint,
    Float,
    Addr,
    UserAddr,
    Stack,
    Time,
    Time822,
    Port,
    InetAddr,
    CStr,
    WideStr,
    EscapedStr,
    EscapedChar,
    Percent,
}

/// One entry of the conversion table.
#[derive(Debug)]
struct ConvDef {
    /// Name as written after the flags: `d`, `lld`, `hx`...
    name: &'static str,
    /// The C conversion it prints with (before the `ll`/`L` size prefix is added).
    output: &'static str,
    /// Prototype text for error messages.
    prototype: &'static str,
    check: ArgCheck,
    print: PrintKind,
}

const PROTO_XINT: &str = "char, short, int, long, or long long";
const PROTO_CSI: &str = "char, short, or int";
const PROTO_FP: &str = "float, double, or long double";
const PROTO_ADDR: &str = "pointer or integer";
const PROTO_UADDR: &str = "pointer or integer (with -p/-c) or _usymaddr (without -p/-c)";
const PROTO_CSTR: &str = "char [] or string (or use stringof)";
const PROTO_WSTR: &str = "wchar_t []";

macro_rules! conv {
    ($name:literal, $out:literal, $proto:expr, $check:expr, $print:ident) => {
        ConvDef {
            name: $name,
            output: $out,
            prototype: $proto,
            check: $check,
            print: PrintKind::$print,
        }
    };
}

/// The illumos conversion dictionary.
static CONVERSIONS: &[ConvDef] = &[
    conv!("a", "s", PROTO_ADDR, ArgCheck::KernelAddress, Addr),
    conv!("A", "s", PROTO_UADDR, ArgCheck::UserAddress, UserAddr),
    conv!("c", "c", PROTO_CSI, ArgCheck::SmallInteger, Sint),
    conv!("C", "s", PROTO_CSI, ArgCheck::SmallInteger, EscapedChar),
    conv!("d", "d", PROTO_XINT, ArgCheck::Integer, Dint),
    conv!("e", "e", PROTO_FP, ArgCheck::Float, Float),
    conv!("E", "E", PROTO_FP, ArgCheck::Float, Float),
    conv!("f", "f", PROTO_FP, ArgCheck::Float, Float),
    conv!("g", "g", PROTO_FP, ArgCheck::Float, Float),
    conv!("G", "G", PROTO_FP, ArgCheck::Float, Float),
    conv!("hd", "d", "short", ArgCheck::Exact("short"), Sint),
    conv!("hi", "i", "short", ArgCheck::Exact("short"), Sint),
    conv!(
        "ho",
        "o",
        "unsigned short",
        ArgCheck::Exact("unsigned short"),
        Uint
    ),
    conv!(
        "hu",
        "u",
        "unsigned short",
        ArgCheck::Exact("unsigned short"),
        Uint
    ),
    conv!("hx", "x", "short", ArgCheck::ShortName, Uint),
    conv!("hX", "X", "short", ArgCheck::ShortName, Uint),
    conv!("i", "i", PROTO_XINT, ArgCheck::Integer, Sint),
    conv!("I", "s", PROTO_CSTR, ArgCheck::String, InetAddr),
    conv!("k", "s", "stack", ArgCheck::Stack, Stack),
    conv!("lc", "lc", "int", ArgCheck::Exact("int"), Sint),
    conv!("ld", "d", "long", ArgCheck::Exact("long"), Sint),
    conv!("li", "i", "long", ArgCheck::Exact("long"), Sint),
    conv!(
        "lo",
        "o",
        "unsigned long",
        ArgCheck::Exact("unsigned long"),
        Uint
    ),
    conv!(
        "lu",
        "u",
        "unsigned long",
        ArgCheck::Exact("unsigned long"),
        Uint
    ),
    conv!("ls", "ls", PROTO_WSTR, ArgCheck::WideString, WideStr),
    conv!("lx", "x", "long", ArgCheck::LongName, Uint),
    conv!("lX", "X", "long", ArgCheck::LongName, Uint),
    conv!("lld", "d", "long long", ArgCheck::Exact("long long"), Sint),
    conv!("lli", "i", "long long", ArgCheck::Exact("long long"), Sint),
    conv!(
        "llo",
        "o",
        "unsigned long long",
        ArgCheck::Exact("unsigned long long"),
        Uint
    ),
    conv!(
        "llu",
        "u",
        "unsigned long long",
        ArgCheck::Exact("unsigned long long"),
        Uint
    ),
    conv!("llx", "x", "long long", ArgCheck::LongLongName, Uint),
    conv!("llX", "X", "long long", ArgCheck::LongLongName, Uint),
    conv!(
        "Le",
        "e",
        "long double",
        ArgCheck::Exact("long double"),
        Float
    ),
    conv!(
        "LE",
        "E",
        "long double",
        ArgCheck::Exact("long double"),
        Float
    ),
    conv!(
        "Lf",
        "f",
        "long double",
        ArgCheck::Exact("long double"),
        Float
    ),
    conv!(
        "Lg",
        "g",
        "long double",
        ArgCheck::Exact("long double"),
        Float
    ),
    conv!(
        "LG",
        "G",
        "long double",
        ArgCheck::Exact("long double"),
        Float
    ),
    conv!("o", "o", PROTO_XINT, ArgCheck::Integer, Uint),
    conv!("p", "x", PROTO_ADDR, ArgCheck::Pointer, Uint),
    conv!(
        "P",
        "s",
        "uint16_t",
        ArgCheck::Exact("unsigned short"),
        Port
    ),
    conv!("s", "s", PROTO_CSTR, ArgCheck::String, CStr),
    conv!("S", "s", PROTO_CSTR, ArgCheck::String, EscapedStr),
    conv!("T", "s", "int64_t", ArgCheck::Time, Time822),
    conv!("u", "u", PROTO_XINT, ArgCheck::Integer, Uint),
    conv!("wc", "wc", "int", ArgCheck::Exact("int"), Sint),
    conv!("ws", "ws", PROTO_WSTR, ArgCheck::WideString, WideStr),
    conv!("x", "x", PROTO_XINT, ArgCheck::Integer, Uint),
    conv!("X", "X", PROTO_XINT, ArgCheck::Integer, Uint),
    conv!("Y", "s", "int64_t", ArgCheck::Time, Time),
    conv!("%", "%", "void", ArgCheck::Nothing, Percent),
];

/// Names of every conversion DTrace accepts (`d`, `lld`, `hx`, `Y`, `%`...).
pub fn conversion_names() -> impl Iterator<Item = &'static str> {
    CONVERSIONS.iter().map(|c| c.name)
}

/// Conversion flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `#`
    pub alt: bool,
    /// `0`
    pub zero_pad: bool,
    /// `-`
    pub left: bool,
    /// `+`
    pub plus: bool,
    /// ` `
    pub space: bool,
    /// `'` (accepted; digit grouping is empty in the C locale)
    pub group: bool,
}

/// One `%` conversion of a format.
#[derive(Clone, Debug)]
pub struct Conversion {
    number: u32,
    def: &'static ConvDef,
    flags: Flags,
    width: usize,
    precision: usize,
    dynamic_width: bool,
    dynamic_precision: bool,
    aggregation: bool,
}

impl Conversion {
    /// 1-based position among all conversions of the format (`%%` counts).
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The conversion's name: `d`, `lld`, `hx`, `%`...
    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// The argument the conversion accepts.
    pub fn check(&self) -> ArgCheck {
        self.def.check
    }

    /// The prototype text used in error messages (`char, short, int, long, or long long`).
    pub fn prototype(&self) -> &'static str {
        self.def.prototype
    }

    /// Flags as written.
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// Static width (0 when none).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Static precision (0 when none).
    pub fn precision(&self) -> usize {
        self.precision
    }

    /// `*` width: consumes an integer argument before the value.
    pub fn dynamic_width(&self) -> bool {
        self.dynamic_width
    }

    /// `.*` precision: consumes an integer argument before the value.
    pub fn dynamic_precision(&self) -> bool {
        self.dynamic_precision
    }

    /// `%@...`: prints the aggregation value instead of consuming an argument.
    pub fn is_aggregation(&self) -> bool {
        self.aggregation
    }

    /// `%%`.
    pub fn is_percent(&self) -> bool {
        self.def.print == PrintKind::Percent
    }

    /// Whether `arg` is acceptable for this conversion (illumos `pfcheck_*`). `target_defined`
    /// tells whether `$target` is set, which `%A` needs for plain integers.
    pub fn accepts(&self, arg: &ArgType<'_>, target_defined: bool) -> bool {
        use ArgClass as C;
        match self.def.check {
            ArgCheck::KernelAddress => {
                matches!(arg.class, C::Pointer | C::Integer { .. } | C::SymAddr)
            }
            ArgCheck::UserAddress => {
                arg.class == C::USymAddr
                    || (target_defined && matches!(arg.class, C::Pointer | C::Integer { .. }))
            }
            ArgCheck::SmallInteger => matches!(arg.class, C::Integer { size, .. } if size <= 4),
            ArgCheck::Integer => matches!(arg.class, C::Integer { .. }),
            ArgCheck::Float => matches!(arg.class, C::Float { .. }),
            ArgCheck::Pointer => matches!(arg.class, C::Pointer | C::Integer { .. }),
            ArgCheck::String => matches!(arg.class, C::String | C::CharArray),
            ArgCheck::WideString => arg.class == C::WideCharArray,
            ArgCheck::Stack => arg.class == C::Stack,
            ArgCheck::Time => matches!(arg.class, C::Integer { size: 8, .. }),
            ArgCheck::ShortName => {
                ["short", "signed short", "unsigned short"].contains(&arg.resolved_name)
            }
            ArgCheck::LongName => {
                ["long", "signed long", "unsigned long"].contains(&arg.resolved_name)
            }
            ArgCheck::LongLongName => {
                ["long long", "signed long long", "unsigned long long"].contains(&arg.resolved_name)
                    || arg
                        .typedef_chain
                        .iter()
                        .any(|name| *name == "int64_t" || *name == "uint64_t")
            }
            ArgCheck::Exact(name) => {
                matches!(arg.class, C::Integer { .. } | C::Float { .. })
                    && arg.resolved_name == name
            }
            ArgCheck::Nothing => false,
        }
    }

    /// Number of arguments this conversion consumes (dynamic width/precision and the value).
    pub fn argument_count(&self) -> usize {
        if self.is_percent() {
            return 0;
        }
        usize::from(self.dynamic_width)
            + usize::from(self.dynamic_precision)
            + usize::from(!self.aggregation)
    }
}

/// A descriptor: literal text, then optionally a conversion.
#[derive(Clone, Debug)]
struct Piece {
    prefix: std::ops::Range<usize>,
    conversion: Option<Conversion>,
}

/// A parsed format string.
#[derive(Clone, Debug)]
pub struct Format {
    text: Vec<u8>,
    pieces: Vec<Piece>,
}

impl Format {
    /// The format text (up to its first NUL, as C sees it).
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The conversions in order.
    pub fn conversions(&self) -> impl Iterator<Item = &Conversion> {
        self.pieces.iter().filter_map(|p| p.conversion.as_ref())
    }

    /// Whether the format string is empty (`D_PRINTF_FMT_EMPTY` for `printf`).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// A malformed format string. All carry the tag `D_SYNTAX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// `%**d`
    RepeatedStar {
        /// Conversion number.
        conversion: u32,
    },
    /// `%1.2.3d`
    RepeatedDot {
        /// Conversion number.
        conversion: u32,
    },
    /// `%1$d`
    Positional {
        /// Conversion number.
        conversion: u32,
    },
    /// `%5%`
    FlaggedPercent {
        /// Conversion number.
        conversion: u32,
    },
    /// `%-` at the end of the string.
    MissingName {
        /// Conversion number.
        conversion: u32,
    },
    /// `%lf`, `%z`...
    Undefined {
        /// Conversion number.
        conversion: u32,
        /// The size prefixes and conversion character as written.
        name: String,
    },
}

impl FormatError {
    /// The compiler error tag.
    pub fn tag(&self) -> &'static str {
        "D_SYNTAX"
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // illumos prints "precision" for a repeated '*' in the width too.
            FormatError::RepeatedStar { conversion } => write!(
                f,
                "format conversion #{conversion} has more than one '*' specified for the output precision"
            ),
            FormatError::RepeatedDot { conversion } => write!(
                f,
                "format conversion #{conversion} has more than one '.' specified"
            ),
            FormatError::Positional { conversion } => write!(
                f,
                "format conversion #{conversion} uses unsupported positional format (%n$)"
            ),
            FormatError::FlaggedPercent { conversion } => write!(
                f,
                "format conversion #{conversion} cannot be combined with other format flags: %%"
            ),
            FormatError::MissingName { conversion } => write!(
                f,
                "format conversion #{conversion} name expected before end of format string"
            ),
            FormatError::Undefined { conversion, name } => {
                write!(f, "format conversion #{conversion} is undefined: %{name}")
            }
        }
    }
}

impl std::error::Error for FormatError {}

/// Parses a DTrace format string.
pub fn parse_format(format: &[u8]) -> Result<Format, FormatError> {
    let text = Value::c_string(format).to_vec();
    let mut pieces = Vec::new();
    let mut q = 0usize;
    let at = |i: usize| text.get(i).copied().unwrap_or(0);
    while let Some(offset) = text
        .get(q..)
        .and_then(|rest| rest.iter().position(|&b| b == b'%'))
    {
        let mut p = q + offset;
        let number = u32::try_from(pieces.len() + 1).unwrap_or(u32::MAX);
        let start = p;
        let mut flags = Flags::default();
        let (mut width, mut precision) = (0usize, 0usize);
        let (mut dynamic_width, mut dynamic_precision, mut aggregation) = (false, false, false);
        let (mut digits, mut dot) = (0u32, false);
        let mut name = Vec::new();
        loop {
            p += 1;
            let c = at(p);
            match c {
                b'0'..=b'9' => {
                    if !dot && digits == 0 && c == b'0' {
                        flags.zero_pad = true;
                        flags.left = false;
                        continue;
                    }
                    let mut n = 0usize;
                    while at(p).is_ascii_digit() {
                        n = n
                            .saturating_mul(10)
                            .saturating_add(usize::from(at(p) - b'0'));
                        p += 1;
                    }
                    p -= 1;
                    if dot {
                        precision = n.min(MAX_FIELD_WIDTH);
                    } else {
                        width = n.min(MAX_FIELD_WIDTH);
                    }
                    digits += 1;
                }
                b'#' => flags.alt = true,
                b'*' => {
                    let slot = if dot {
                        &mut dynamic_precision
                    } else {
                        &mut dynamic_width
                    };
                    if *slot {
                        return Err(FormatError::RepeatedStar { conversion: number });
                    }
                    *slot = true;
                }
                b'+' => flags.plus = true,
                b'-' => {
                    flags.left = true;
                    flags.zero_pad = false;
                }
                b'.' => {
                    if dot {
                        return Err(FormatError::RepeatedDot { conversion: number });
                    }
                    dot = true;
                    digits = 0;
                }
                b'?' => width = 16,
                b'@' => aggregation = true,
                b'\'' => flags.group = true,
                b' ' => flags.space = true,
                b'$' => return Err(FormatError::Positional { conversion: number }),
                b'%' if p != start + 1 => {
                    return Err(FormatError::FlaggedPercent { conversion: number });
                }
                0 => return Err(FormatError::MissingName { conversion: number }),
                b'h' | b'l' | b'L' | b'w' => {
                    if name.len() < 6 {
                        name.push(c);
                    }
                }
                _ => {
                    name.push(c);
                    break;
                }
            }
        }
        let def = CONVERSIONS
            .iter()
            .find(|d| d.name.as_bytes() == name.as_slice())
            .ok_or_else(|| FormatError::Undefined {
                conversion: number,
                name: String::from_utf8_lossy(&name).into_owned(),
            })?;
        pieces.push(Piece {
            prefix: q..start,
            conversion: Some(Conversion {
                number,
                def,
                flags,
                width,
                precision,
                dynamic_width,
                dynamic_precision,
                aggregation,
            }),
        });
        q = p + 1;
    }
    if q < text.len() || text.is_empty() {
        pieces.push(Piece {
            prefix: q..text.len(),
            conversion: None,
        });
    }
    Ok(Format { text, pieces })
}

/// The shape of an argument's D type, as far as conversions care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgClass {
    /// An integer (or enum) type of `size` bytes.
    Integer {
        /// Size in bytes.
        size: u8,
        /// Whether the type is signed.
        signed: bool,
    },
    /// A floating-point type of `size` bytes.
    Float {
        /// Size in bytes.
        size: u8,
    },
    /// A pointer.
    Pointer,
    /// The D `string` type.
    String,
    /// An array of `char`.
    CharArray,
    /// An array of 32-bit integers.
    WideCharArray,
    /// `stack`, from `stack()`/`ustack()`/`jstack()`.
    Stack,
    /// `_symaddr`, from `sym()`/`func()`/`mod()`.
    SymAddr,
    /// `_usymaddr`, from `usym()`/`ufunc()`/`uaddr()`/`umod()`.
    USymAddr,
    /// Anything else (structs, unions, functions, void).
    Other,
}

/// An argument's type as the compiler describes it to the checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgType<'a> {
    /// The type name as printed in messages (`int`, `string`, `char *`, `uint64_t`).
    pub name: &'a str,
    /// The shape of the type.
    pub class: ArgClass,
    /// The type's name after resolving typedefs (`uint64_t` → `unsigned long`).
    pub resolved_name: &'a str,
    /// Names of the typedefs traversed from the declared type toward its base type.
    pub typedef_chain: &'a [&'a str],
}

/// Which action a format belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatUse {
    /// `printf()`, `system()`, `freopen()`: every argument must be consumed.
    Printf,
    /// `printa()`: conversions consume keys; `%@` takes the value. `count` tells whether the
    /// aggregating function is `count()` (its value is `uint64_t`, others are `int64_t`).
    Printa {
        /// The aggregating function is `count()`.
        count: bool,
    },
}

/// An argument-checking error, with the tag and text the D compiler reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidateError {
    /// `D_PRINTF_FMT_EMPTY`
    Empty {
        /// Action name.
        func: String,
    },
    /// `D_PRINTF_ARG_FMT`: the format is not a string constant.
    NotConstant {
        /// Action name.
        func: String,
        /// Type name of the first argument.
        actual: String,
    },
    /// `D_PRINTF_DYN_PROTO`
    MissingDynamic {
        /// Action name.
        func: String,
        /// Conversion number.
        conversion: u32,
        /// Conversion name.
        name: &'static str,
        /// `*` or `.*`.
        which: &'static str,
    },
    /// `D_PRINTF_DYN_TYPE`
    DynamicType {
        /// Action name.
        func: String,
        /// Argument number.
        argument: usize,
        /// Conversion number.
        conversion: u32,
        /// Conversion name.
        name: &'static str,
        /// `*` or `.*`.
        which: &'static str,
        /// Type name of the argument.
        actual: String,
    },
    /// `D_PRINTF_AGG_CONV`
    AggregationConversion {
        /// Action name.
        func: String,
    },
    /// `D_PRINTF_ARG_PROTO`
    MissingValue {
        /// Action name.
        func: String,
        /// Conversion number.
        conversion: u32,
        /// Conversion name.
        name: &'static str,
    },
    /// `D_PRINTF_ARG_TYPE`
    ArgumentType {
        /// Action name.
        func: String,
        /// `argument #N` or `aggregating action`.
        what: String,
        /// Conversion number.
        conversion: u32,
        /// Conversion name.
        name: &'static str,
        /// Prototype text.
        prototype: &'static str,
        /// Type name of the argument.
        actual: String,
    },
    /// `D_PRINTF_ARG_EXTRA`
    ExtraArguments {
        /// Action name.
        func: String,
        /// Number of arguments the format consumes.
        required: usize,
    },
}

impl ValidateError {
    /// The compiler error tag.
    pub fn tag(&self) -> &'static str {
        match self {
            ValidateError::Empty { .. } => "D_PRINTF_FMT_EMPTY",
            ValidateError::NotConstant { .. } => "D_PRINTF_ARG_FMT",
            ValidateError::MissingDynamic { .. } => "D_PRINTF_DYN_PROTO",
            ValidateError::DynamicType { .. } => "D_PRINTF_DYN_TYPE",
            ValidateError::AggregationConversion { .. } => "D_PRINTF_AGG_CONV",
            ValidateError::MissingValue { .. } => "D_PRINTF_ARG_PROTO",
            ValidateError::ArgumentType { .. } => "D_PRINTF_ARG_TYPE",
            ValidateError::ExtraArguments { .. } => "D_PRINTF_ARG_EXTRA",
        }
    }
}

impl fmt::Display for ValidateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidateError::Empty { func } => write!(f, "{func}( ) format string is empty"),
            ValidateError::NotConstant { func, actual } => write!(
                f,
                "{func}( ) argument #1 is incompatible with prototype:\n\tprototype: string constant\n\t argument: {actual}"
            ),
            ValidateError::MissingDynamic {
                func,
                conversion,
                name,
                which,
            } => write!(
                f,
                "{func}( ) prototype mismatch: conversion #{conversion} (%{name}) is missing a corresponding \"{which}\" argument"
            ),
            ValidateError::DynamicType {
                func,
                argument,
                conversion,
                name,
                which,
                actual,
            } => write!(
                f,
                "{func}( ) argument #{argument} is incompatible with conversion #{conversion} prototype:\n\tconversion: % {which} {name}\n\t prototype: int\n\t  argument: {actual}"
            ),
            ValidateError::AggregationConversion { func } => write!(
                f,
                "%@ conversion requires an aggregation and is not for use with {func}( )"
            ),
            ValidateError::MissingValue {
                func,
                conversion,
                name,
            } => write!(
                f,
                "{func}( ) prototype mismatch: conversion #{conversion} (%{name}) is missing a corresponding value argument"
            ),
            ValidateError::ArgumentType {
                func,
                what,
                conversion,
                name,
                prototype,
                actual,
            } => write!(
                f,
                "{func}( ) {what} is incompatible with conversion #{conversion} prototype:\n\tconversion: %{name}\n\t prototype: {prototype}\n\t  argument: {actual}"
            ),
            ValidateError::ExtraArguments { func, required } => write!(
                f,
                "{func}( ) prototype mismatch: only {required} arguments required by this format string"
            ),
        }
    }
}

impl std::error::Error for ValidateError {}

/// Checks `args` against `format` as illumos `dt_printf_validate` does, returning the number
/// of arguments the format consumes. For `printf`, `args` are the arguments after the format
/// and `first_arg` is the number of the format argument (1: the first value is `argument #2`);
/// for `printa`, `args` are the aggregation's key types.
pub fn validate(
    format: &Format,
    func: &str,
    usage: FormatUse,
    args: &[ArgType<'_>],
    first_arg: usize,
    target_defined: bool,
) -> Result<usize, ValidateError> {
    if format.is_empty() {
        return Err(ValidateError::Empty { func: func.into() });
    }
    let (agg_name, agg_resolved, agg_signed) = match usage {
        FormatUse::Printa { count: true } => ("uint64_t", "unsigned long", false),
        _ => ("int64_t", "long", true),
    };
    let agg_chain = [agg_name];
    let agg_type = ArgType {
        name: agg_name,
        class: ArgClass::Integer {
            size: 8,
            signed: agg_signed,
        },
        resolved_name: agg_resolved,
        typedef_chain: &agg_chain,
    };
    let mut used = 0usize;
    for conv in format.conversions() {
        if conv.is_percent() {
            continue;
        }
        // illumos takes the width argument before the precision argument.
        let dynamics = [(conv.dynamic_width, "*"), (conv.dynamic_precision, ".*")];
        for (_, which) in dynamics.iter().filter(|(present, _)| *present) {
            let Some(arg) = args.get(used) else {
                return Err(ValidateError::MissingDynamic {
                    func: func.into(),
                    conversion: conv.number,
                    name: conv.name(),
                    which,
                });
            };
            if !matches!(arg.class, ArgClass::Integer { .. }) {
                return Err(ValidateError::DynamicType {
                    func: func.into(),
                    argument: used + first_arg + 1,
                    conversion: conv.number,
                    name: conv.name(),
                    which,
                    actual: arg.name.into(),
                });
            }
            used += 1;
        }
        let (what, arg) = if conv.aggregation {
            if !matches!(usage, FormatUse::Printa { .. }) {
                return Err(ValidateError::AggregationConversion { func: func.into() });
            }
            ("aggregating action".to_string(), agg_type)
        } else {
            let Some(arg) = args.get(used) else {
                return Err(ValidateError::MissingValue {
                    func: func.into(),
                    conversion: conv.number,
                    name: conv.name(),
                });
            };
            used += 1;
            (format!("argument #{}", used + first_arg), *arg)
        };
        if !conv.accepts(&arg, target_defined) {
            return Err(ValidateError::ArgumentType {
                func: func.into(),
                what,
                conversion: conv.number,
                name: conv.name(),
                prototype: conv.prototype(),
                actual: arg.name.into(),
            });
        }
    }
    if usage == FormatUse::Printf && used < args.len() {
        return Err(ValidateError::ExtraArguments {
            func: func.into(),
            required: used,
        });
    }
    Ok(used)
}

/// A failure while formatting recorded data (illumos `EDT_DMISMATCH`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeError {
    /// The records do not fit the format: too few, or of a size the conversion cannot read.
    Mismatch,
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Data record list does not match statement")
    }
}

impl std::error::Error for RuntimeError {}

/// One aggregation's value for `%@` conversions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AggDatum<'a> {
    pub func: &'a AggFunc,
    pub data: &'a [i64],
    pub normal: u64,
}

/// Formats `args` with `format` as `printf()` does, appending to `out`. Returns the number of
/// arguments consumed.
pub fn format(
    format: &Format,
    args: &[Value],
    out: &mut Vec<u8>,
    ctx: &dyn FormatContext,
) -> Result<usize, RuntimeError> {
    format_records(format, args, &[], HistogramStyle::default(), out, ctx)
}

/// The formatting loop shared by `printf()` and `printa()`. For `printa()`, `args` are the keys
/// and `aggs` holds the aggregations: one, or a representative followed by each joined one.
pub(crate) fn format_records(
    format: &Format,
    args: &[Value],
    aggs: &[AggDatum<'_>],
    style: HistogramStyle,
    out: &mut Vec<u8>,
    ctx: &dyn FormatContext,
) -> Result<usize, RuntimeError> {
    let mut next = 0usize;
    let mut current_agg = usize::from(aggs.len() > 1);
    for piece in &format.pieces {
        out.extend_from_slice(format.text.get(piece.prefix.clone()).unwrap_or(&[]));
        let Some(conv) = &piece.conversion else {
            continue;
        };
        if conv.is_percent() {
            out.push(b'%');
            continue;
        }
        let mut take_int = || -> Result<i64, RuntimeError> {
            let value = args.get(next).ok_or(RuntimeError::Mismatch)?;
            next += 1;
            let (bits, size) = value.raw_integer().ok_or(RuntimeError::Mismatch)?;
            // The C library receives an `int`.
            Ok(i64::from(sign_extend(bits, size) as i32))
        };
        let width = if conv.dynamic_width {
            take_int()?
        } else {
            conv.width as i64
        };
        let dynamic_width = if conv.dynamic_width { width } else { 0 };
        let precision = if conv.dynamic_precision {
            take_int()?
        } else {
            conv.precision as i64
        };
        let mut spec = Spec {
            alt: conv.flags.alt,
            zero: conv.flags.zero_pad,
            left: conv.flags.left || width < 0,
            plus: conv.flags.plus,
            space: conv.flags.space,
            width: (width.unsigned_abs() as usize).min(MAX_FIELD_WIDTH),
            precision: (precision > 0).then(|| (precision as usize).min(MAX_FIELD_WIDTH)),
        };
        if conv.def.print == PrintKind::Stack && conv.flags.left {
            spec.width = 0;
        }
        if conv.aggregation {
            let datum = aggs
                .get(current_agg)
                .copied()
                .ok_or(RuntimeError::Mismatch)?;
            if current_agg + 1 < aggs.len() {
                current_agg += 1;
            }
            print_aggregation_value(out, conv, &spec, datum, style, ctx)?;
        } else {
            let value = args.get(next).ok_or(RuntimeError::Mismatch)?;
            next += 1;
            let indent = if dynamic_width < 0 {
                dynamic_width.unsigned_abs() as usize
            } else if conv.flags.left {
                if dynamic_width != 0 {
                    dynamic_width as usize
                } else {
                    conv.width
                }
            } else {
                0
            };
            print_value(out, conv, &spec, value, 1, indent.min(MAX_FIELD_WIDTH), ctx)?;
        }
    }
    Ok(next)
}

/// `%@` of an aggregation value.
fn print_aggregation_value(
    out: &mut Vec<u8>,
    conv: &Conversion,
    spec: &Spec,
    datum: AggDatum<'_>,
    style: HistogramStyle,
    ctx: &dyn FormatContext,
) -> Result<(), RuntimeError> {
    let normal = datum.normal.max(1);
    let word = |i: usize| datum.data.get(i).copied().unwrap_or(0);
    let letter = |signed_type: bool| -> &'static str {
        match conv.def.print {
            PrintKind::Dint if signed_type => "i",
            PrintKind::Dint => "u",
            _ => conv.def.output,
        }
    };
    match datum.func {
        AggFunc::Avg => {
            // illumos divides the unsigned words here, even for negative sums.
            let (count, sum) = (word(0) as u64, word(1) as u64);
            let avg = (sum / normal).checked_div(count).unwrap_or(0);
            c_integer(out, spec, letter(true), avg, true);
            Ok(())
        }
        AggFunc::Stddev => {
            let value = stddev(datum.data, normal);
            c_integer(out, spec, letter(true), value, true);
            Ok(())
        }
        AggFunc::Quantize | AggFunc::Lquantize(_) | AggFunc::Llquantize(_) => {
            quantize::render(out, datum.func, datum.data, normal, style)
                .map_err(|_| RuntimeError::Mismatch)
        }
        AggFunc::Count | AggFunc::Sum | AggFunc::Min | AggFunc::Max => {
            let value = Value::Int {
                bits: word(0) as u64,
                size: 8,
                signed: *datum.func != AggFunc::Count,
            };
            print_value(out, conv, spec, &value, normal, 0, ctx)
        }
    }
}

/// Prints one recorded value with its conversion.
fn print_value(
    out: &mut Vec<u8>,
    conv: &Conversion,
    spec: &Spec,
    value: &Value,
    normal: u64,
    stack_indent: usize,
    ctx: &dyn FormatContext,
) -> Result<(), RuntimeError> {
    // A mod()/umod() record always prints its module name, whatever the conversion.
    match value {
        Value::KernelMod(addr) => {
            cfmt::string(
                out,
                spec,
                context::kernel_module_name(ctx, *addr).as_bytes(),
            );
            return Ok(());
        }
        Value::UserMod { pid, addr } => {
            cfmt::string(
                out,
                spec,
                context::user_module_name(ctx, *pid, *addr).as_bytes(),
            );
            return Ok(());
        }
        _ => {}
    }
    match conv.def.print {
        PrintKind::Sint | PrintKind::Uint | PrintKind::Dint => {
            let (bits, size) = value.raw_integer().ok_or(RuntimeError::Mismatch)?;
            let signed_type = matches!(value, Value::Int { signed: true, .. });
            print_integer(out, spec, conv.def, bits, size, signed_type, normal)
        }
        PrintKind::Float => {
            let x = match value {
                Value::Float { value, .. } => *value,
                other => match other.raw_integer() {
                    Some((bits, 4)) => f64::from(f32::from_bits(bits as u32)),
                    Some((bits, 8)) => f64::from_bits(bits),
                    _ => return Err(RuntimeError::Mismatch),
                },
            };
            let letter = conv.def.output.as_bytes().first().copied().unwrap_or(b'f');
            cfmt::float(out, spec, x / normal.max(1) as f64, letter);
            Ok(())
        }
        PrintKind::Addr => {
            let addr = match value {
                Value::KernelSym(addr) => *addr,
                other => match other.raw_integer() {
                    Some((bits, 4 | 8)) => bits,
                    _ => return Err(RuntimeError::Mismatch),
                },
            };
            cfmt::string(out, spec, context::kernel_address(ctx, addr).as_bytes());
            Ok(())
        }
        PrintKind::UserAddr => {
            let (pid, addr) = match value {
                Value::UserSym { pid, addr } | Value::UserAddr { pid, addr } => (*pid, *addr),
                other => match other.raw_integer() {
                    Some((bits, 4 | 8)) => (0, bits),
                    _ => return Err(RuntimeError::Mismatch),
                },
            };
            let pid = if pid == 0 { ctx.target_pid() } else { pid };
            cfmt::string(out, spec, context::user_address(ctx, pid, addr).as_bytes());
            Ok(())
        }
        PrintKind::Stack => {
            let Value::Stack(stack) = value else {
                return Err(RuntimeError::Mismatch);
            };
            let frame_spec = Spec {
                precision: spec.precision,
                ..*spec
            };
            stack::print_stack(out, stack, stack_indent, &frame_spec, ctx);
            Ok(())
        }
        PrintKind::Time | PrintKind::Time822 => {
            let (bits, _) = value.raw_integer().ok_or(RuntimeError::Mismatch)?;
            let when = ctx.local_time(time::seconds_of(bits as i64));
            let text = if conv.def.print == PrintKind::Time {
                time::format_y(&when)
            } else {
                time::format_rfc822(&when)
            };
            cfmt::string(out, spec, text.as_bytes());
            Ok(())
        }
        PrintKind::Port => {
            let (bits, _) = value.raw_integer().ok_or(RuntimeError::Mismatch)?;
            let port = bits as u16;
            let text = ctx.service_name(port).unwrap_or_else(|| port.to_string());
            cfmt::string(out, spec, text.as_bytes());
            Ok(())
        }
        PrintKind::InetAddr => {
            let Value::Bytes(bytes) = value else {
                return Err(RuntimeError::Mismatch);
            };
            let address = String::from_utf8_lossy(Value::c_string(bytes)).into_owned();
            let text = ctx.host_name(&address).unwrap_or(address);
            cfmt::string(out, spec, text.as_bytes());
            Ok(())
        }
        PrintKind::CStr => {
            let Value::Bytes(bytes) = value else {
                return Err(RuntimeError::Mismatch);
            };
            cfmt::string(out, spec, Value::c_string(bytes));
            Ok(())
        }
        PrintKind::WideStr => {
            let Value::Bytes(bytes) = value else {
                return Err(RuntimeError::Mismatch);
            };
            // Wide characters are converted as in the C locale: ASCII only.
            let text: Vec<u8> = bytes
                .chunks_exact(4)
                .map(|unit| u32::from_le_bytes(unit.try_into().unwrap_or([0; 4])))
                .take_while(|&unit| unit != 0 && unit < 0x80)
                .map(|unit| unit as u8)
                .collect();
            cfmt::string(out, spec, &text);
            Ok(())
        }
        PrintKind::EscapedStr => {
            let Value::Bytes(bytes) = value else {
                return Err(RuntimeError::Mismatch);
            };
            cfmt::string(out, spec, &escape(bytes));
            Ok(())
        }
        PrintKind::EscapedChar => {
            let (bits, size) = value.raw_integer().ok_or(RuntimeError::Mismatch)?;
            if size > 4 {
                return Err(RuntimeError::Mismatch);
            }
            cfmt::string(out, spec, &escape(&[bits as u8]));
            Ok(())
        }
        PrintKind::Percent => {
            out.push(b'%');
            Ok(())
        }
    }
}

/// Prints an integer record the way illumos `pfprint_sint`/`pfprint_uint`/`pfprint_dint` do:
/// read at the record size, divided by the normalization, formatted with the C conversion that
/// `printf` would get (`ll` added for 8-byte records).
fn print_integer(
    out: &mut Vec<u8>,
    spec: &Spec,
    def: &ConvDef,
    bits: u64,
    size: usize,
    signed_type: bool,
    normal: u64,
) -> Result<(), RuntimeError> {
    if ![1, 2, 4, 8].contains(&size) {
        return Err(RuntimeError::Mismatch);
    }
    let wide = size == 8;
    let (letter, sign_extended) = match def.print {
        // A normalized signed value is divided as a signed number
        // (illumos `pfprint_dint` hands signed types to `pfprint_sint`).
        PrintKind::Dint => (
            if signed_type { "i" } else { "u" },
            signed_type && normal > 1,
        ),
        PrintKind::Sint => (def.output, true),
        _ => (def.output, false),
    };
    let normal = normal.max(1);
    let value = if sign_extended {
        let v = sign_extend(bits, size);
        if wide {
            v.wrapping_div(normal as i64) as u64
        } else {
            let n = match normal as i32 {
                0 => 1,
                n => n,
            };
            (v as i32).wrapping_div(n) as u32 as u64
        }
    } else {
        let v = bits;
        if wide {
            v / normal
        } else {
            u64::from((v as u32) / (normal as u32).max(1))
        }
    };
    // `h` and `hh` reach the C library with the conversion, which narrows
    // the `int` it receives to short or char before printing.
    let value = if def.name.starts_with("hh") {
        if sign_extended {
            value as u8 as i8 as i32 as u32 as u64
        } else {
            u64::from(value as u8)
        }
    } else if def.name.starts_with('h') {
        if sign_extended {
            value as u16 as i16 as i32 as u32 as u64
        } else {
            u64::from(value as u16)
        }
    } else {
        value
    };
    c_integer(out, spec, letter, value, wide);
    Ok(())
}

/// Formats `value` with the C integer conversion `letter`, as an `int`/`unsigned` argument or,
/// when `wide`, a `long long` one.
fn c_integer(out: &mut Vec<u8>, spec: &Spec, letter: &str, value: u64, wide: bool) {
    match letter {
        "d" | "i" => {
            let v = if wide {
                value as i64
            } else {
                i64::from(value as u32 as i32)
            };
            cfmt::signed(out, spec, v);
        }
        "c" => cfmt::character(out, spec, value as u8),
        "lc" | "wc" => {
            if let Ok(byte) = u8::try_from(value as u32 as i32)
                && byte.is_ascii()
            {
                cfmt::character(out, spec, byte);
            }
        }
        other => {
            let v = if wide { value } else { u64::from(value as u32) };
            let conv = other.as_bytes().first().copied().unwrap_or(b'u');
            cfmt::unsigned(out, spec, v, conv);
        }
    }
}

#[cfg(test)]
mod tests;
