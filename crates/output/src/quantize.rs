//! Histograms of `quantize()`, `lquantize()` and `llquantize()` values.
//!
//! A histogram is a header and one row per bucket:
//!
//! ```text
//! \n           value  ------------- Distribution ------------- count    \n
//!                0 |                                         0        \n
//!                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 3        \n
//!                2 |                                         0        \n
//! ```
//!
//! * Rows run from one bucket before the first non-zero bucket to one bucket after the last
//!   (clamped to the array). A value with no non-zero bucket shows the three buckets around
//!   zero (`quantize`) or the first three (`lquantize`) or two (`llquantize`) buckets. As in
//!   illumos, `quantize` treats a value whose only non-zero bucket is the last one as empty.
//! * The bar of a row has `round(40 × |count| / total)` `@` characters (round half up), where
//!   `total` is the sum of `|count|` over the printed rows. With `-x aggzoom`, `total` is instead
//!   the largest `|count|` divided by 0.95, so the longest bar is 38 characters.
//! * When both positive and negative counts are printed, bars are half length (20) and grow
//!   left of a centre line for negative counts and right of it for positive ones; with only
//!   negative counts the bar grows leftwards from the right edge.
//! * With `-x encoding=utf8`, positive-only bars are drawn with Unicode block elements in
//!   eighths of a column.
//! * The count column is `%-9lld` of the count divided by the normalization factor (divided as
//!   unsigned 64-bit numbers, as illumos does); bars use the raw counts.
//!
//! `-x aggpack` prints `quantize`/`lquantize` values on one line instead, one character per
//! bucket, after a header printed once per aggregation.

use crate::aggfunc::{
    AggFunc, Llquantize, Lquantize, QUANTIZE_BUCKETS, QUANTIZE_ZERO_BUCKET, quantize_bucket_value,
};
use crate::cfmt::{self, Spec};

/// Bar width in columns.
const BAR: u64 = 40;

/// Display options for histograms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistogramStyle {
    /// `-x aggzoom`: scale bars to the largest bucket.
    pub zoom: bool,
    /// `-x encoding=utf8`: draw positive bars with Unicode blocks.
    pub utf8: bool,
    /// Draw `-x aggpack` rows with Unicode blocks (see [`packed_uses_utf8`]).
    pub packed_utf8: bool,
}

/// The value given has the wrong number of buckets for its function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketCountError;

impl std::fmt::Display for BucketCountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Data record list does not match statement")
    }
}

impl std::error::Error for BucketCountError {}

/// Whether `-x aggpack` rows use Unicode: `encoding` is the `-x encoding` value if set, `term`
/// the `TERM` environment variable. ASCII is used for `encoding=ascii` and for the terminals
/// `sun`, `sun-color` and `dumb`.
pub fn packed_uses_utf8(encoding: Option<&str>, term: Option<&str>) -> bool {
    match encoding {
        Some("ascii") => false,
        Some("utf8") => true,
        _ => !matches!(term, Some("sun" | "sun-color" | "dumb")),
    }
}

/// The denominator bars are scaled by.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Total {
    /// Sum of absolute counts, kept exact.
    Sum(u128),
    /// A scaled maximum (`aggzoom`).
    Scaled(f64),
}

impl Total {
    /// The total of `values` as `dt_quantize_total` accumulates it.
    pub(crate) fn of(values: &[i64], zoom: bool) -> Total {
        if zoom {
            let max = values
                .iter()
                .map(|v| v.unsigned_abs() as f64 * (1.0 / 0.95))
                .fold(0.0, f64::max);
            Total::Scaled(max)
        } else {
            Total::Sum(values.iter().map(|v| u128::from(v.unsigned_abs())).sum())
        }
    }

    /// `floor(|value| × len / total + 0.5)`.
    pub(crate) fn round(&self, value: i64, len: u64) -> u64 {
        let magnitude = u128::from(value.unsigned_abs());
        match *self {
            Total::Sum(0) => 0,
            Total::Sum(total) => ((2 * magnitude * u128::from(len) + total) / (2 * total))
                .min(u128::from(u64::MAX)) as u64,
            Total::Scaled(total) if total > 0.0 => {
                (magnitude as f64 * len as f64 / total + 0.5) as u64
            }
            Total::Scaled(_) => 0,
        }
    }

    /// `|value| × len / total` split into whole columns and eighths of the remainder.
    fn split(&self, value: i64, len: u64, levels: u64) -> (u64, u64) {
        let magnitude = u128::from(value.unsigned_abs());
        match *self {
            Total::Sum(0) => (0, 0),
            Total::Sum(total) => {
                let scaled = magnitude * u128::from(len);
                let whole = scaled / total;
                let partial = scaled * u128::from(levels) / total - whole * u128::from(levels);
                (whole.min(u128::from(u64::MAX)) as u64, partial as u64)
            }
            Total::Scaled(total) if total > 0.0 => {
                let f = magnitude as f64 * len as f64 / total;
                let whole = f as u64;
                (whole, ((f - whole as f64) * levels as f64) as u64)
            }
            Total::Scaled(_) => (0, 0),
        }
    }
}

fn repeat(out: &mut Vec<u8>, byte: u8, count: u64) {
    out.extend(std::iter::repeat_n(byte, count as usize));
}

fn utf8(out: &mut Vec<u8>, code_point: u32) {
    out.extend_from_slice(&[
        0xe0 | (code_point >> 12) as u8,
        0x80 | ((code_point >> 6) & 0x3f) as u8,
        0x80 | (code_point & 0x3f) as u8,
    ]);
}

/// `" %-9lld\n"` of the count divided by the normalization (unsigned division).
fn count_column(out: &mut Vec<u8>, value: i64, normal: u64) {
    out.push(b' ');
    let spec = Spec {
        left: true,
        width: 9,
        ..Spec::default()
    };
    cfmt::signed(out, &spec, ((value as u64) / normal.max(1)) as i64);
    out.push(b'\n');
}

/// One bar and count (`dt_print_quantline`).
pub(crate) fn quant_line(
    out: &mut Vec<u8>,
    value: i64,
    normal: u64,
    total: &Total,
    positives: bool,
    negatives: bool,
    style: &HistogramStyle,
) {
    if !negatives {
        let depth = if positives {
            if style.utf8 {
                let (whole, partial) = total.split(value, BAR, 8);
                let whole = whole.min(BAR);
                out.push(b'|');
                for _ in 0..whole {
                    utf8(out, 0x2588);
                }
                let mut used = whole;
                if partial != 0 && used < BAR {
                    utf8(out, 0x258f - (partial as u32 - 1));
                    used += 1;
                }
                repeat(out, b' ', BAR - used);
                count_column(out, value, normal);
                return;
            }
            total.round(value, BAR).min(BAR)
        } else {
            0
        };
        out.push(b'|');
        repeat(out, b'@', depth);
        repeat(out, b' ', BAR - depth);
        count_column(out, value, normal);
        return;
    }
    if !positives {
        let depth = total.round(value, BAR).min(BAR);
        repeat(out, b' ', BAR - depth);
        repeat(out, b'@', depth);
        out.push(b'|');
        count_column(out, value, normal);
        return;
    }
    let half = BAR / 2;
    let depth = total.round(value, half).min(half);
    if value <= 0 {
        repeat(out, b' ', half - depth);
        repeat(out, b'@', depth);
        out.push(b'|');
        repeat(out, b' ', half);
    } else {
        repeat(out, b' ', half);
        out.push(b'|');
        repeat(out, b'@', depth);
        repeat(out, b' ', half - depth);
    }
    count_column(out, value, normal);
}

/// The distribution header, `"\n%*s %41s %-9s\n"`. `key_width` 0 labels the first column
/// `value` in 16 columns (the normal case); a non-zero width labels it `key` (`agghist`).
pub(crate) fn header(out: &mut Vec<u8>, key_width: usize) {
    let (width, label) = if key_width == 0 {
        (16, "value")
    } else {
        (key_width, "key")
    };
    out.extend_from_slice(
        format!(
            "\n{label:>width$} {:>41} {:<9}\n",
            "------------- Distribution -------------", "count"
        )
        .as_bytes(),
    );
}

/// The rows to print: one empty bucket on each side of the non-zero ones.
fn row_range(data: &[i64], last: usize, empty: (usize, usize)) -> (usize, usize) {
    let word = |i: usize| data.get(i).copied().unwrap_or(0);
    let mut first = 0;
    while first <= last && word(first) == 0 {
        first += 1;
    }
    if first > last {
        return empty;
    }
    first = first.saturating_sub(1);
    let mut end = last;
    while end > 0 && word(end) == 0 {
        end -= 1;
    }
    (first, (end + 1).min(last))
}

fn sign_flags(values: &[i64]) -> (bool, bool) {
    (values.iter().any(|&v| v > 0), values.iter().any(|&v| v < 0))
}

fn row_label(out: &mut Vec<u8>, label: &str) {
    out.extend_from_slice(format!("{label:>16} ").as_bytes());
}

/// Prints a `quantize()` value (127 buckets).
pub fn render_quantize(
    out: &mut Vec<u8>,
    data: &[i64],
    normal: u64,
    style: HistogramStyle,
) -> Result<(), BucketCountError> {
    if data.len() != QUANTIZE_BUCKETS {
        return Err(BucketCountError);
    }
    let last = QUANTIZE_BUCKETS - 1;
    // illumos stops its scan for the first non-zero bucket before the last bucket.
    let (first, end) = match data
        .get(..last)
        .and_then(|d| d.iter().position(|&v| v != 0))
    {
        None => (QUANTIZE_ZERO_BUCKET - 1, QUANTIZE_ZERO_BUCKET + 1),
        Some(_) => row_range(data, last, (0, 0)),
    };
    let rows = data.get(first..=end).unwrap_or(&[]);
    let (positives, negatives) = sign_flags(rows);
    let total = Total::of(rows, style.zoom);
    header(out, 0);
    for (i, &count) in (first..=end).zip(rows) {
        row_label(out, &quantize_bucket_value(i).to_string());
        quant_line(out, count, normal, &total, positives, negatives, &style);
    }
    Ok(())
}

/// Prints an `lquantize()` value (`levels + 2` buckets).
pub fn render_lquantize(
    out: &mut Vec<u8>,
    params: &Lquantize,
    data: &[i64],
    normal: u64,
    style: HistogramStyle,
) -> Result<(), BucketCountError> {
    if data.len() != params.buckets() {
        return Err(BucketCountError);
    }
    let last = usize::from(params.levels) + 1;
    let (first, end) = row_range(data, last, (0, 2));
    let rows = data.get(first..=end).unwrap_or(&[]);
    let (positives, negatives) = sign_flags(rows);
    let total = Total::of(rows, style.zoom);
    header(out, 0);
    for (i, &count) in (first..=end).zip(rows) {
        let label = if i == 0 {
            format!("< {}", params.base)
        } else if i == last {
            format!(">= {}", params.limit())
        } else {
            (i64::from(params.base) + (i as i64 - 1) * i64::from(params.step)).to_string()
        };
        row_label(out, &label);
        quant_line(out, count, normal, &total, positives, negatives, &style);
    }
    Ok(())
}

/// Prints an `llquantize()` value ([`Llquantize::buckets`] buckets).
pub fn render_llquantize(
    out: &mut Vec<u8>,
    params: &Llquantize,
    data: &[i64],
    normal: u64,
    style: HistogramStyle,
) -> Result<(), BucketCountError> {
    if data.len() != params.buckets() {
        return Err(BucketCountError);
    }
    let last = data.len() - 1;
    let (first, end) = row_range(data, last, (0, 1));
    let rows = data.get(first..=end).unwrap_or(&[]);
    let (positives, negatives) = sign_flags(rows);
    let total = Total::of(rows, style.zoom);
    header(out, 0);
    let word = |i: usize| data.get(i).copied().unwrap_or(0);
    let factor = i64::from(params.factor);
    let nsteps = i64::from(params.nsteps);
    let mut value: i64 = 1;
    for _ in 0..params.low {
        value = value.wrapping_mul(factor);
    }
    let mut next = value.wrapping_mul(factor);
    let mut step = if next > nsteps { next / nsteps } else { 1 };
    if first == 0 {
        row_label(out, &format!("< {value}"));
        quant_line(out, word(0), normal, &total, positives, negatives, &style);
    }
    let mut bin = 1usize;
    let mut order = params.low;
    while order <= params.high && bin <= last {
        if bin >= first && bin <= end {
            row_label(out, &value.to_string());
            quant_line(out, word(bin), normal, &total, positives, negatives, &style);
        }
        bin += 1;
        value = value.wrapping_add(step);
        if value != next {
            continue;
        }
        next = value.wrapping_mul(factor);
        step = if next > nsteps { next / nsteps } else { 1 };
        order += 1;
    }
    if end < bin {
        return Ok(());
    }
    row_label(out, &format!(">= {value}"));
    quant_line(out, word(bin), normal, &total, positives, negatives, &style);
    Ok(())
}

/// Prints any quantizing function's value.
pub fn render(
    out: &mut Vec<u8>,
    func: &AggFunc,
    data: &[i64],
    normal: u64,
    style: HistogramStyle,
) -> Result<(), BucketCountError> {
    match func {
        AggFunc::Quantize => render_quantize(out, data, normal, style),
        AggFunc::Lquantize(params) => render_lquantize(out, params, data, normal, style),
        AggFunc::Llquantize(params) => render_llquantize(out, params, data, normal, style),
        _ => Err(BucketCountError),
    }
}

/// Columns taken by `value` in a packed row (`dt_ndigits`): at least 4. As in illumos, an
/// exact power of ten counts one digit short.
pub(crate) fn ndigits(value: i64) -> usize {
    let mut digits = 1;
    let mut magnitude = value;
    if magnitude < 0 {
        magnitude = if magnitude == i64::MIN {
            i64::MAX
        } else {
            -magnitude
        };
        digits += 1;
    }
    let mut cmp: i64 = 10;
    while magnitude > cmp && cmp > 0 {
        digits += 1;
        cmp = cmp.wrapping_mul(10);
    }
    digits.max(4)
}

/// The non-zero bucket range of a `quantize()` value, for `aggpack` (`None` when empty).
pub(crate) fn nonzero_bins(data: &[i64]) -> Option<(usize, usize)> {
    let first = data.iter().position(|&v| v != 0)?;
    let last = data.iter().rposition(|&v| v != 0)?;
    Some((first, last))
}

/// The bucket range a packed `quantize()` row shows, widened by one bucket on each side the
/// way illumos does (never below the zero bucket when that is the first non-zero one).
fn packed_quantize_range(min_bin: usize, max_bin: usize) -> (usize, usize) {
    let min = if min_bin != 0 && min_bin != QUANTIZE_ZERO_BUCKET {
        min_bin - 1
    } else {
        min_bin
    };
    let max = if max_bin < QUANTIZE_BUCKETS - 1 {
        max_bin + 1
    } else {
        max_bin
    };
    (min, max)
}

/// The `aggpack` header, printed once per aggregation before its first row.
/// `key_width` is the total width of the key columns; `(min_bin, max_bin)` the non-zero bucket
/// range over all entries (for `lquantize`, ignored).
pub(crate) fn packed_header(
    out: &mut Vec<u8>,
    key_width: usize,
    func: &AggFunc,
    min_bin: usize,
    max_bin: usize,
) {
    let (min, max, min_width, max_width) = match func {
        AggFunc::Lquantize(params) => (1, usize::from(params.levels) + 2, 7, 8),
        _ => {
            let (min, max) = packed_quantize_range(min_bin, max_bin);
            (
                min,
                max,
                ndigits(quantize_bucket_value(min)),
                ndigits(quantize_bucket_value(max)),
            )
        }
    };
    let label = if key_width > 0 { "key" } else { "" };
    out.extend_from_slice(format!("\n{label:>key_width$} {:>min_width$} .", "min").as_bytes());
    repeat(out, b'-', (max + 1).saturating_sub(min) as u64);
    out.extend_from_slice(format!(". {:<max_width$} | count\n", "max").as_bytes());
}

/// One bucket of a packed row (`dt_print_packed`).
fn packed_char(out: &mut Vec<u8>, datum: i64, total: &Total, utf8_blocks: bool) {
    const ASCII: &[u8] = b"__xxxxXX";
    const NEGATIVE: &[u8] = b"vvvvVV";
    if datum == 0 {
        out.push(b' ');
    } else if datum < 0 {
        let i = total.round(datum, NEGATIVE.len() as u64 - 1) as usize;
        out.push(NEGATIVE.get(i).copied().unwrap_or(b'V'));
    } else if utf8_blocks {
        let level = total.round(datum, 7).min(7) as u32;
        utf8(out, 0x2581 + level);
    } else {
        let i = total.round(datum, ASCII.len() as u64 - 1) as usize;
        out.push(ASCII.get(i).copied().unwrap_or(b'X'));
    }
}

fn packed_count(values: &[i64]) -> i64 {
    let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
    sum.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// A packed `quantize()` row: `" min :<one char per bucket>: max | count\n"`, over the bucket
/// range shared by the whole aggregation.
pub(crate) fn render_quantize_packed(
    out: &mut Vec<u8>,
    data: &[i64],
    min_bin: usize,
    max_bin: usize,
    style: &HistogramStyle,
) -> Result<(), BucketCountError> {
    if data.len() != QUANTIZE_BUCKETS {
        return Err(BucketCountError);
    }
    let (min, max) = packed_quantize_range(min_bin, max_bin);
    let values = data.get(min..=max).ok_or(BucketCountError)?;
    let min_value = quantize_bucket_value(min);
    let max_value = quantize_bucket_value(max);
    out.extend_from_slice(format!(" {:>1$} :", min_value, ndigits(min_value)).as_bytes());
    let total = Total::of(values, style.zoom);
    for &datum in values {
        packed_char(out, datum, &total, style.packed_utf8);
    }
    out.extend_from_slice(
        format!(
            ": {:<1$} | {2}\n",
            max_value,
            ndigits(max_value),
            packed_count(values)
        )
        .as_bytes(),
    );
    Ok(())
}

/// A packed `lquantize()` row: every bucket is shown.
pub(crate) fn render_lquantize_packed(
    out: &mut Vec<u8>,
    params: &Lquantize,
    data: &[i64],
    style: &HistogramStyle,
) -> Result<(), BucketCountError> {
    if data.len() != params.buckets() {
        return Err(BucketCountError);
    }
    out.extend_from_slice(format!("{:>8} :", format!("< {}", params.base)).as_bytes());
    let total = Total::of(data, style.zoom);
    for &datum in data {
        packed_char(out, datum, &total, style.packed_utf8);
    }
    out.extend_from_slice(
        format!(
            ": {:<8} | {}\n",
            format!(">= {}", params.limit()),
            packed_count(data)
        )
        .as_bytes(),
    );
    Ok(())
}

#[cfg(test)]
mod tests;
