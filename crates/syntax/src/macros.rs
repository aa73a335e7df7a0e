//! Macro variables and the C conversions that D's lexer applies to text.
//!
//! D substitutes macro variables while scanning, never later:
//!
//! * `$0`, `$1`, ... are the script name and the arguments after it. `$N`
//!   becomes an integer token if the argument is an integer (optionally
//!   signed: `-5` becomes `-(5)`), an identifier (or type name) if it is one,
//!   and otherwise a string, with one pair of surrounding double quotes
//!   removed. `$$N` is always a string.
//! * `$pid`, `$ppid`, `$uid`, `$gid`, `$euid`, `$egid`, `$pgid`, `$sid`,
//!   `$target`, `$projid`, `$taskid` are integers (`$$pid` the same number as
//!   a string).
//! * Inside a probe description, `$N`, `$$N`, `$name` and `$$name` are all
//!   replaced by their text (see [`crate::probedesc`]).
//!
//! An argument that is not given is an error (`D_MACRO_UNDEF`) unless the
//! `defaultargs` option is set, in which case `$N` is `0` and `$$N` is `""`.
//!
//! The helpers below reproduce the C library routines DTrace relies on for
//! these conversions (`strtoull` with base 0 and its overflow rule, escape
//! decoding), because their corner cases decide what a D program means.

use std::collections::HashMap;

/// The values macro variables expand to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Macros {
    /// `$0` (the script name, or `dtrace` for `-n`), then `$1`, `$2`, ...
    pub args: Vec<String>,
    /// `pid`, `ppid`, `uid`, `gid`, `euid`, `egid`, `pgid`, `sid`, `target`,
    /// `projid`, `taskid` mapped to their decimal values. DTrace defines all
    /// eleven at all times (`target` is 0 without `-c`/`-p`); a name missing
    /// here is reported as undefined.
    pub named: HashMap<String, String>,
    /// `-x defaultargs`: an argument that was not given expands to `0`
    /// (`$N`) or `""` (`$$N`) instead of being an error.
    pub default_args: bool,
}

impl Macros {
    /// The value of a named macro variable as DTrace stores it: a 32-bit
    /// identifier. `None` if the name is not defined or its text is not a
    /// number.
    pub fn named_value(&self, name: &str) -> Option<u32> {
        let text = self.named.get(name)?.trim();
        if let Ok(v) = text.parse::<u64>() {
            return Some(v as u32);
        }
        text.parse::<i64>().ok().map(|v| v as u32)
    }
}

/// The result of [`strtoull`]: the value (wrapped if negative, as C does),
/// the number of bytes consumed (0 if no digits were found) and whether the
/// magnitude overflowed (C's `ERANGE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StrToUll {
    pub value: u64,
    pub consumed: usize,
    pub overflow: bool,
}

/// C's `strtoull(s, &end, 0)`: leading white space, an optional sign, then a
/// hexadecimal (`0x`), octal (leading `0`) or decimal number.
pub(crate) fn strtoull(s: &[u8]) -> StrToUll {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if let Some(&c) = s.get(i)
        && (c == b'+' || c == b'-')
    {
        negative = c == b'-';
        i += 1;
    }
    let mut radix = 10u64;
    if s.get(i) == Some(&b'0') {
        if matches!(s.get(i + 1), Some(b'x' | b'X'))
            && s.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            radix = 16;
            i += 2;
        } else {
            radix = 8;
        }
    }
    let start = i;
    let mut value: u64 = 0;
    let mut overflow = false;
    while let Some(&c) = s.get(i) {
        let digit = match c {
            b'0'..=b'9' => u64::from(c - b'0'),
            b'a'..=b'f' => u64::from(c - b'a' + 10),
            b'A'..=b'F' => u64::from(c - b'A' + 10),
            _ => break,
        };
        if digit >= radix {
            break;
        }
        match value.checked_mul(radix).and_then(|v| v.checked_add(digit)) {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return StrToUll {
            value: 0,
            consumed: 0,
            overflow: false,
        };
    }
    if overflow {
        value = u64::MAX;
    } else if negative {
        value = value.wrapping_neg();
    }
    StrToUll {
        value,
        consumed: i,
        overflow,
    }
}

/// Decodes C escape sequences the way DTrace's `stresc2chr()` does:
/// `\a \b \f \n \r \t \v \" \\`, up to three octal digits, `\x` followed by
/// any number of hex digits (the low byte is kept). Any other escaped
/// character is kept with its backslash (`\q` stays `\q`), as in DTrace.
pub(crate) fn decode_escapes(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = raw.get(i) else {
            // A trailing lone backslash is dropped, like the C loop does.
            break;
        };
        i += 1;
        match e {
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match raw.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'a' => out.push(0x07),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'x' => {
                let mut v: u32 = 0;
                while let Some(&d) = raw.get(i) {
                    let digit = match d {
                        b'0'..=b'9' => d - b'0',
                        b'a'..=b'f' => d - b'a' + 10,
                        b'A'..=b'F' => d - b'A' + 10,
                        _ => break,
                    };
                    v = v.wrapping_mul(16).wrapping_add(u32::from(digit));
                    i += 1;
                }
                out.push(v as u8);
            }
            b'"' | b'\\' => out.push(e),
            _ => {
                out.push(b'\\');
                out.push(e);
            }
        }
    }
    out
}

/// DTrace's `strbadidnum()`: whether `s` is neither an integer (as
/// `strtoull` reads it, sign and leading blanks included) nor made only of
/// identifier characters (letters, digits, `_` and `` ` ``).
pub(crate) fn is_bad_ident_or_number(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let n = strtoull(s.as_bytes());
    if n.consumed == s.len() && !n.overflow {
        return false;
    }
    !s.bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'`')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtoull_matches_c() {
        let r = strtoull(b"0x1F");
        assert_eq!((r.value, r.consumed, r.overflow), (31, 4, false));
        let r = strtoull(b"017");
        assert_eq!((r.value, r.consumed), (15, 3));
        let r = strtoull(b"08");
        assert_eq!((r.value, r.consumed), (0, 1));
        let r = strtoull(b"0");
        assert_eq!((r.value, r.consumed), (0, 1));
        let r = strtoull(b"0x");
        assert_eq!((r.value, r.consumed), (0, 1));
        let r = strtoull(b" -5");
        assert_eq!((r.value, r.consumed), (5u64.wrapping_neg(), 3));
        let r = strtoull(b"18446744073709551615");
        assert!(!r.overflow);
        assert_eq!(r.value, u64::MAX);
        let r = strtoull(b"18446744073709551616");
        assert!(r.overflow);
        let r = strtoull(b"abc");
        assert_eq!(r.consumed, 0);
        let r = strtoull(b"12ul");
        assert_eq!((r.value, r.consumed), (12, 2));
    }

    #[test]
    fn escapes_decode_like_stresc2chr() {
        assert_eq!(decode_escapes(br"a\nb"), b"a\nb");
        assert_eq!(
            decode_escapes(br#"\t\\\"\a\b\f\r\v"#),
            b"\t\\\"\x07\x08\x0c\r\x0b"
        );
        assert_eq!(decode_escapes(br"\101\0\1234"), b"A\0S4");
        assert_eq!(decode_escapes(br"\x41\x4a\xg"), b"AJ\0g");
        assert_eq!(decode_escapes(br"\x1234"), b"\x34");
        assert_eq!(decode_escapes(br"\q\'"), br"\q\'");
        assert_eq!(decode_escapes(br"\777"), b"\xff");
    }

    #[test]
    fn bad_ident_or_number() {
        assert!(!is_bad_ident_or_number("123"));
        assert!(!is_bad_ident_or_number("-5"));
        assert!(!is_bad_ident_or_number("0x10"));
        assert!(!is_bad_ident_or_number("foo_bar"));
        assert!(!is_bad_ident_or_number("vmlinux`jiffies"));
        assert!(!is_bad_ident_or_number("10abc"));
        assert!(is_bad_ident_or_number(""));
        assert!(is_bad_ident_or_number("hello world"));
        assert!(is_bad_ident_or_number("1.5"));
        assert!(is_bad_ident_or_number("-abc"));
        assert!(is_bad_ident_or_number("/tmp/x"));
    }

    #[test]
    fn named_values() {
        let mut m = Macros::default();
        m.named.insert("pid".into(), "1234".into());
        m.named.insert("uid".into(), "-1".into());
        m.named.insert("bad".into(), "x".into());
        assert_eq!(m.named_value("pid"), Some(1234));
        assert_eq!(m.named_value("uid"), Some(u32::MAX));
        assert_eq!(m.named_value("bad"), None);
        assert_eq!(m.named_value("target"), None);
    }
}
