//! The C `printf(3)` conversion core.
//!
//! DTrace formats every datum by building a C format string (`%` + flags + width + precision +
//! conversion) and handing it to the C library. This module reproduces what the C library does
//! with such a single conversion, byte for byte, for the conversions DTrace ever produces:
//! `d i u o x X c s e E f g G`.
//!
//! Rules that differ from Rust's own formatting and are easy to get wrong:
//! * `+` and space apply only to signed conversions; `%+u` prints no sign.
//! * A precision on an integer is a minimum digit count and disables the `0` flag.
//! * `#` adds `0x`/`0X` only for non-zero values, and makes `%o` start with `0`.
//! * The `0` flag pads numbers after the sign and radix prefix; for `%c`, `%s`, `inf` and `nan`
//!   it is ignored and spaces are used (what the GNU C library does).
//! * Floating point is correctly rounded from the exact binary value, ties to even; `%g` strips
//!   trailing zeros unless `#` is given; `nan` keeps the sign bit (`-nan`).

/// One conversion's flags, width and precision, as they appear in a C format string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Spec {
    /// `#`
    pub alt: bool,
    /// `0`
    pub zero: bool,
    /// `-`
    pub left: bool,
    /// `+`
    pub plus: bool,
    /// ` `
    pub space: bool,
    /// Minimum field width (0 when absent).
    pub width: usize,
    /// Precision, when present.
    pub precision: Option<usize>,
}

fn pad(out: &mut Vec<u8>, count: usize, byte: u8) {
    out.extend(std::iter::repeat_n(byte, count));
}

/// Justifies `prefix` + `body` in the field; zero padding goes between the two.
fn justify(out: &mut Vec<u8>, spec: &Spec, prefix: &[u8], body: &[u8], zero_allowed: bool) {
    let fill = spec.width.saturating_sub(prefix.len() + body.len());
    if spec.left {
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
        pad(out, fill, b' ');
    } else if spec.zero && zero_allowed {
        out.extend_from_slice(prefix);
        pad(out, fill, b'0');
        out.extend_from_slice(body);
    } else {
        pad(out, fill, b' ');
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
    }
}

fn digits(mut value: u64, radix: u64, upper: bool) -> Vec<u8> {
    let table: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut rev = Vec::with_capacity(22);
    loop {
        // `value % radix` is below 16, so the index is always in the table.
        let digit = table.get((value % radix) as usize).copied().unwrap_or(b'?');
        rev.push(digit);
        value /= radix;
        if value == 0 {
            break;
        }
    }
    rev.reverse();
    rev
}

/// Digits of an integer honouring the C precision rule (minimum digits; `%.0d` of 0 is empty).
fn integer_body(value: u64, radix: u64, upper: bool, precision: Option<usize>) -> Vec<u8> {
    let mut body = if value == 0 && precision == Some(0) {
        Vec::new()
    } else {
        digits(value, radix, upper)
    };
    if let Some(p) = precision
        && body.len() < p
    {
        let mut padded = vec![b'0'; p - body.len()];
        padded.extend_from_slice(&body);
        body = padded;
    }
    body
}

/// `%d` / `%i` of a signed value.
pub(crate) fn signed(out: &mut Vec<u8>, spec: &Spec, value: i64) {
    let body = integer_body(value.unsigned_abs(), 10, false, spec.precision);
    let sign: &[u8] = if value < 0 {
        b"-"
    } else if spec.plus {
        b"+"
    } else if spec.space {
        b" "
    } else {
        b""
    };
    justify(out, spec, sign, &body, spec.precision.is_none());
}

/// `%u`, `%o`, `%x`, `%X` of an unsigned value (`conv` is the conversion character).
pub(crate) fn unsigned(out: &mut Vec<u8>, spec: &Spec, value: u64, conv: u8) {
    let (radix, upper) = match conv {
        b'o' => (8, false),
        b'x' => (16, false),
        b'X' => (16, true),
        _ => (10, false),
    };
    let mut body = integer_body(value, radix, upper, spec.precision);
    let mut prefix: &[u8] = b"";
    if spec.alt {
        match conv {
            b'o' if body.first() != Some(&b'0') => body.insert(0, b'0'),
            b'x' if value != 0 => prefix = b"0x",
            b'X' if value != 0 => prefix = b"0X",
            _ => {}
        }
    }
    justify(out, spec, prefix, &body, spec.precision.is_none());
}

/// `%c`: the low byte of the argument.
pub(crate) fn character(out: &mut Vec<u8>, spec: &Spec, byte: u8) {
    justify(out, spec, b"", &[byte], false);
}

/// `%s`: the precision limits the number of bytes taken from `text`.
pub(crate) fn string(out: &mut Vec<u8>, spec: &Spec, text: &[u8]) {
    let text = match spec.precision {
        Some(p) if p < text.len() => text.get(..p).unwrap_or(text),
        _ => text,
    };
    justify(out, spec, b"", text, false);
}

/// `%e %E %f %F %g %G` of a double.
pub(crate) fn float(out: &mut Vec<u8>, spec: &Spec, value: f64, conv: u8) {
    let upper = conv.is_ascii_uppercase();
    let sign: &[u8] = if value.is_sign_negative() {
        b"-"
    } else if spec.plus {
        b"+"
    } else if spec.space {
        b" "
    } else {
        b""
    };
    if !value.is_finite() {
        let word = match (value.is_nan(), upper) {
            (true, false) => "nan",
            (true, true) => "NAN",
            (false, false) => "inf",
            (false, true) => "INF",
        };
        justify(out, spec, sign, word.as_bytes(), false);
        return;
    }
    let magnitude = value.abs();
    let precision = spec.precision.unwrap_or(6);
    let body = match conv.to_ascii_lowercase() {
        b'e' => exponential(magnitude, precision, spec.alt, upper),
        b'g' => general(magnitude, precision, spec.alt, upper),
        _ => fixed(magnitude, precision, spec.alt),
    };
    justify(out, spec, sign, body.as_bytes(), true);
}

fn fixed(magnitude: f64, precision: usize, alt: bool) -> String {
    let mut text = format!("{magnitude:.precision$}");
    if alt && precision == 0 {
        text.push('.');
    }
    text
}

/// Splits Rust's `1.5e-7` form into mantissa text and exponent.
fn rust_exponential(magnitude: f64, precision: usize) -> (String, i32) {
    let text = format!("{magnitude:.precision$e}");
    match text.split_once('e') {
        Some((mantissa, exp)) => (mantissa.to_string(), exp.parse().unwrap_or(0)),
        None => (text, 0),
    }
}

fn exponential(magnitude: f64, precision: usize, alt: bool, upper: bool) -> String {
    let (mut text, exp) = rust_exponential(magnitude, precision);
    if alt && precision == 0 {
        text.push('.');
    }
    text.push(if upper { 'E' } else { 'e' });
    text.push(if exp < 0 { '-' } else { '+' });
    text.push_str(&format!("{:02}", exp.unsigned_abs()));
    text
}

fn general(magnitude: f64, precision: usize, alt: bool, upper: bool) -> String {
    let p = precision.max(1);
    // The exponent the value has once rounded to `p` significant digits decides the style.
    let (_, x) = rust_exponential(magnitude, p - 1);
    let p_i = i64::try_from(p).unwrap_or(i64::MAX);
    let x = i64::from(x);
    let mut text = if x < p_i && x >= -4 {
        let decimals = usize::try_from(p_i - 1 - x).unwrap_or(0);
        fixed(magnitude, decimals, alt)
    } else {
        exponential(magnitude, p - 1, alt, upper)
    };
    if !alt {
        let (number, exponent) = match text.find(['e', 'E']) {
            Some(at) => {
                let exponent = text.split_off(at);
                (text, exponent)
            }
            None => (text, String::new()),
        };
        let number = if number.contains('.') {
            number
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        } else {
            number
        };
        text = number + &exponent;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn integer_flags() {
        let spec = Spec {
            width: 5,
            zero: true,
            ..Spec::default()
        };
        assert_eq!(run(|o| signed(o, &spec, -7)), "-0007");
        let spec = Spec {
            alt: true,
            width: 6,
            ..Spec::default()
        };
        assert_eq!(run(|o| unsigned(o, &spec, 255, b'x')), "  0xff");
        assert_eq!(run(|o| unsigned(o, &spec, 0, b'x')), "     0");
        assert_eq!(run(|o| unsigned(o, &spec, 8, b'o')), "   010");
    }

    #[test]
    fn general_strips_zeros() {
        let spec = Spec::default();
        assert_eq!(run(|o| float(o, &spec, 100000.0, b'g')), "100000");
        assert_eq!(run(|o| float(o, &spec, 1e6, b'g')), "1e+06");
        assert_eq!(run(|o| float(o, &spec, 0.0001, b'g')), "0.0001");
        assert_eq!(run(|o| float(o, &spec, 1e-5, b'G')), "1E-05");
    }
}
