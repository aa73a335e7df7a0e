//! Printing aggregation snapshots: the default layout, `printa()` with and without a format,
//! several aggregations joined on their keys, sorting and truncation.
//!
//! # What the printer is given
//!
//! An [`Aggregation`] is one `@name` as the consumer holds it after merging the per-CPU copies:
//! its variable id (the order of first use in the program, from 1), its function, and its
//! entries. An [`AggEntry`] has the key values (records, as for `trace()`), the value words in
//! the layout of [`crate::aggfunc`], and the normalization factor set by `normalize()` (1
//! otherwise). Entries that `clear()` zeroed stay and print as zero; `trunc()` removes entries
//! ([`truncate`]). Which aggregations have already been printed by `printa()` (and so are not
//! printed again at exit) is the consumer's business.
//!
//! # Layout
//!
//! Each entry is one row: every key, then the value, then `\n`.
//! * Integer keys print as `" %*lld"`/`" %*d"` with width 3, 5, 8 or 16 for 1-, 2-, 4- or
//!   8-byte records; string keys as two spaces and the text left-justified in 50 columns;
//!   symbols as `"  %-50s"`; stacks one frame per line after a newline.
//! * `count`, `sum`, `min`, `max` print `" %16lld"`, `avg` `" %16lld"` of `sum / count`,
//!   `stddev` `" %16llu"`, the quantizing functions their histogram.
//! * `printa(@a)` without a format prints `\n` first; the listing at exit does not (the
//!   consumer prints one `\n` after its loop, before the listing).
//! * `-x agghist` draws `count`/`sum`/`avg`/`stddev` values as histogram bars under a
//!   `key ... Distribution ... count` header; `-x aggpack` prints `quantize`/`lquantize` values
//!   on one line each; in both cases keys are 16 columns wide for strings too.
//!
//! # Order
//!
//! Entries are sorted by value, ties broken by key (`aggsortkey`: by key alone); keys compare
//! one after another starting with key `aggsortkeypos` ([`Value::key_cmp`]); at exit,
//! aggregations come in variable-id order. `aggsortrev` reverses the whole order — aggregations
//! included. Joined `printa(@a, @b)` sorts by the value of the aggregation at `aggsortpos`,
//! then by the next ones, then by key, and prints zero for an aggregation without the key.

use std::cmp::Ordering;

use crate::aggfunc::{AggFunc, QUANTIZE_ZERO_BUCKET, average, stddev};
use crate::bytes::print_bytes;
use crate::context::FormatContext;
use crate::printf::{AggDatum, Format, RuntimeError, format_records};
use crate::quantize::{self, HistogramStyle, Total, quant_line};
use crate::stack::DEFAULT_STACK_INDENT;
use crate::trace::print_symbolic;
use crate::value::{Value, sign_extend};

/// One key of an aggregation and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct AggEntry {
    /// Key values, in declaration order.
    pub keys: Vec<Value>,
    /// Value words (see [`crate::aggfunc`]).
    pub data: Vec<i64>,
    /// Normalization factor (`normalize()`), 1 by default.
    pub normal: u64,
}

impl AggEntry {
    /// An entry with normalization 1.
    pub fn new(keys: Vec<Value>, data: Vec<i64>) -> AggEntry {
        AggEntry {
            keys,
            data,
            normal: 1,
        }
    }
}

/// An aggregation snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregation {
    /// Variable id: 1 for the first aggregation of the program, and so on.
    pub id: u32,
    /// The aggregating function.
    pub func: AggFunc,
    /// Entries, in any order.
    pub entries: Vec<AggEntry>,
}

impl Aggregation {
    /// `normalize(@a, n)`: values print divided by `n` (0 is treated as 1).
    pub fn normalize(&mut self, factor: u64) {
        for entry in &mut self.entries {
            entry.normal = factor.max(1);
        }
    }

    /// `denormalize(@a)`.
    pub fn denormalize(&mut self) {
        self.normalize(1);
    }

    /// `clear(@a)`: values become zero, keys stay.
    pub fn clear(&mut self) {
        for entry in &mut self.entries {
            entry.data.iter_mut().for_each(|w| *w = 0);
        }
    }
}

/// Options that change aggregation output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggOptions {
    /// `-x aggsortkey`
    pub sort_key: bool,
    /// `-x aggsortkeypos`
    pub sort_key_pos: Option<u64>,
    /// `-x aggsortpos`
    pub sort_pos: Option<u64>,
    /// `-x aggsortrev`
    pub sort_rev: bool,
    /// `-x agghist`
    pub hist: bool,
    /// `-x aggpack`
    pub pack: bool,
    /// `-x aggzoom`, `-x encoding`, and the packed glyph choice.
    pub style: HistogramStyle,
    /// `-x rawbytes`
    pub raw_bytes: bool,
    /// `-x stackindent`
    pub stack_indent: usize,
}

impl Default for AggOptions {
    fn default() -> Self {
        AggOptions {
            sort_key: false,
            sort_key_pos: None,
            sort_pos: None,
            sort_rev: false,
            hist: false,
            pack: false,
            style: HistogramStyle::default(),
            raw_bytes: false,
            stack_indent: DEFAULT_STACK_INDENT,
        }
    }
}

impl AggOptions {
    fn key_pos(&self) -> usize {
        match self.sort_key_pos {
            Some(pos) if pos <= i32::MAX as u64 => pos as usize,
            _ => 0,
        }
    }
}

/// Compares key tuples: key count first, then each key from `key_pos` on, wrapping around.
fn keys_cmp(a: &[Value], b: &[Value], key_pos: usize) -> Ordering {
    if a.len() != b.len() {
        return a.len().cmp(&b.len());
    }
    let n = a.len();
    let start = if key_pos >= n { 0 } else { key_pos };
    (0..n)
        .map(|i| (start + i) % n)
        .map(|i| match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => x.key_cmp(y),
            _ => Ordering::Equal,
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// The order of two entries of the same or different aggregations (variable id, then value
/// and key, or key alone with `aggsortkey`), not yet reversed.
fn entry_cmp(
    (agg_a, a): (&Aggregation, &AggEntry),
    (agg_b, b): (&Aggregation, &AggEntry),
    options: &AggOptions,
) -> Ordering {
    agg_a.id.cmp(&agg_b.id).then_with(|| {
        let keys = || keys_cmp(&a.keys, &b.keys, options.key_pos());
        if options.sort_key {
            keys()
        } else {
            agg_a.func.compare(&a.data, &b.data).then_with(keys)
        }
    })
}

fn directed(order: Ordering, reverse: bool) -> Ordering {
    if reverse { order.reverse() } else { order }
}

/// The entries of `agg` in printing order.
pub fn sorted_entries<'a>(agg: &'a Aggregation, options: &AggOptions) -> Vec<&'a AggEntry> {
    let mut entries: Vec<&AggEntry> = agg.entries.iter().collect();
    entries.sort_by(|a, b| directed(entry_cmp((agg, a), (agg, b), options), options.sort_rev));
    entries
}

/// `trunc(@a, n)`: keeps the `n` largest entries (by value, ties by key, both descending) for
/// positive `n`, the `-n` smallest for negative `n`, none for 0. The `aggsort*` options do not
/// apply.
pub fn truncate(agg: &mut Aggregation, n: i64) {
    let options = AggOptions::default();
    let keep = n.unsigned_abs() as usize;
    let mut order: Vec<usize> = (0..agg.entries.len()).collect();
    order.sort_by(|&i, &j| match (agg.entries.get(i), agg.entries.get(j)) {
        (Some(a), Some(b)) => directed(entry_cmp((agg, a), (agg, b), &options), n > 0),
        _ => Ordering::Equal,
    });
    let mut kept: Vec<bool> = vec![false; agg.entries.len()];
    for &i in order.iter().take(keep) {
        if let Some(flag) = kept.get_mut(i) {
            *flag = true;
        }
    }
    let mut flags = kept.into_iter();
    agg.entries.retain(|_| flags.next().unwrap_or(false));
}

/// Per-aggregation facts needed by `agghist` and `aggpack`, computed over all entries.
#[derive(Clone, Copy, Debug)]
struct Decorations {
    /// `agghist`: the total and whether positive/negative values exist.
    hist: Option<(Total, bool, bool)>,
    /// `aggpack`: the bucket range shared by all rows.
    pack: Option<(usize, usize)>,
}

impl Decorations {
    fn of(agg: &Aggregation, options: &AggOptions) -> Decorations {
        let hist = (options.hist
            && matches!(
                agg.func,
                AggFunc::Count | AggFunc::Sum | AggFunc::Avg | AggFunc::Stddev
            ))
        .then(|| {
            let (mut positives, mut negatives) = (false, false);
            let mut total: u128 = 0;
            for entry in &agg.entries {
                let value = match agg.func {
                    AggFunc::Stddev => stddev(&entry.data, 1) as i64,
                    AggFunc::Avg => average(&entry.data, 1),
                    _ => entry.data.first().copied().unwrap_or(0),
                };
                positives |= value > 0;
                negatives |= value < 0;
                let magnitude = value.unsigned_abs();
                if options.style.zoom {
                    let scaled = (magnitude as f64 * (1.0 / 0.95)) as i64;
                    total = total.max(u128::from(scaled.max(0) as u64));
                } else {
                    total += u128::from(magnitude);
                }
            }
            (Total::Sum(total), positives, negatives)
        });
        let pack = match agg.func {
            _ if !options.pack => None,
            AggFunc::Lquantize(params) => Some((1, usize::from(params.levels) + 1)),
            AggFunc::Quantize => agg
                .entries
                .iter()
                .map(|e| {
                    quantize::nonzero_bins(&e.data)
                        .unwrap_or((QUANTIZE_ZERO_BUCKET, QUANTIZE_ZERO_BUCKET))
                })
                .reduce(|(a, b), (c, d)| (a.min(c), b.max(d))),
            _ => None,
        };
        Decorations { hist, pack }
    }

    fn packed(&self) -> bool {
        self.hist.is_some() || self.pack.is_some()
    }
}

/// One printed row: the keys and the values to print after them.
struct Row<'a> {
    keys: &'a [Value],
    /// The aggregation that decides the row's style (the representative when joined).
    lead: usize,
    /// `(aggregation index, value words, normalization)`.
    values: Vec<(usize, &'a [i64], u64)>,
}

/// Printer state across rows.
struct Printer<'a> {
    aggs: &'a [&'a Aggregation],
    decorations: Vec<Decorations>,
    options: &'a AggOptions,
    ctx: &'a dyn FormatContext,
    header_for: Option<u32>,
}

impl<'a> Printer<'a> {
    fn new(
        aggs: &'a [&'a Aggregation],
        options: &'a AggOptions,
        ctx: &'a dyn FormatContext,
    ) -> Printer<'a> {
        Printer {
            aggs,
            decorations: aggs.iter().map(|a| Decorations::of(a, options)).collect(),
            options,
            ctx,
            header_for: None,
        }
    }

    /// Prints a key record in the default layout.
    fn key(&self, out: &mut Vec<u8>, key: &Value, packed: bool) {
        if print_symbolic(out, key, self.options.stack_indent, self.ctx) {
            return;
        }
        match key.raw_integer() {
            Some((bits, size)) => {
                let (width, number) = match size {
                    8 => (16, bits as i64),
                    4 => (8, sign_extend(bits, 4)),
                    2 => (5, bits as i64),
                    _ => (3, bits as i64),
                };
                out.extend_from_slice(format!(" {number:>width$}").as_bytes());
            }
            None => {
                let bytes = match key {
                    Value::Bytes(bytes) => bytes.as_slice(),
                    _ => &[],
                };
                let width = if packed { 16 } else { -50 };
                print_bytes(out, bytes, width, false, self.options.raw_bytes);
            }
        }
    }

    /// The width of the key columns in an `agghist`/`aggpack` header.
    fn key_columns(keys: &[Value]) -> usize {
        keys.iter()
            .map(|key| match key.record_size() {
                1 => 4,
                2 => 6,
                4 => 9,
                _ => 17,
            })
            .sum()
    }

    /// Prints a value in the default layout.
    fn value(
        &self,
        out: &mut Vec<u8>,
        agg_index: usize,
        data: &[i64],
        normal: u64,
        lead: &Decorations,
    ) -> Result<(), RuntimeError> {
        let Some(agg) = self.aggs.get(agg_index) else {
            return Err(RuntimeError::Mismatch);
        };
        let own = self.decorations.get(agg_index).copied();
        let normal = normal.max(1);
        let word = |i: usize| data.get(i).copied().unwrap_or(0);
        if lead.hist.is_some() {
            let (total, positives, negatives) =
                own.and_then(|d| d.hist)
                    .unwrap_or((Total::Sum(0), false, false));
            out.push(b' ');
            quant_line(
                out,
                word(0),
                normal,
                &total,
                positives,
                negatives,
                &self.options.style,
            );
            return Ok(());
        }
        if lead.pack.is_some()
            && let Some((min, max)) = own.and_then(|d| d.pack)
        {
            let result = match &agg.func {
                AggFunc::Quantize => {
                    quantize::render_quantize_packed(out, data, min, max, &self.options.style)
                }
                AggFunc::Lquantize(params) => {
                    quantize::render_lquantize_packed(out, params, data, &self.options.style)
                }
                _ => Ok(()),
            };
            return result.map_err(|_| RuntimeError::Mismatch);
        }
        match agg.func {
            AggFunc::Quantize | AggFunc::Lquantize(_) | AggFunc::Llquantize(_) => {
                quantize::render(out, &agg.func, data, normal, self.options.style)
                    .map_err(|_| RuntimeError::Mismatch)
            }
            AggFunc::Avg => {
                out.extend_from_slice(format!(" {:>16}", average(data, normal)).as_bytes());
                Ok(())
            }
            AggFunc::Stddev => {
                out.extend_from_slice(format!(" {:>16}", stddev(data, normal)).as_bytes());
                Ok(())
            }
            AggFunc::Count | AggFunc::Sum | AggFunc::Min | AggFunc::Max => {
                let value = ((word(0) as u64) / normal) as i64;
                out.extend_from_slice(format!(" {value:>16}").as_bytes());
                Ok(())
            }
        }
    }

    /// Prints one row: keys, values, newline (`dt_print_aggs`).
    fn row(&mut self, out: &mut Vec<u8>, row: &Row<'_>) -> Result<(), RuntimeError> {
        let lead_agg = self.aggs.get(row.lead).ok_or(RuntimeError::Mismatch)?;
        let lead = self
            .decorations
            .get(row.lead)
            .copied()
            .ok_or(RuntimeError::Mismatch)?;
        let packed = lead.packed();
        if packed && self.header_for != Some(lead_agg.id) {
            let width = Self::key_columns(row.keys);
            match (lead.hist, lead.pack) {
                (Some(_), _) => quantize::header(out, width),
                (None, Some((min, max))) => {
                    quantize::packed_header(out, width, &lead_agg.func, min, max)
                }
                (None, None) => {}
            }
            self.header_for = Some(lead_agg.id);
        }
        for key in row.keys {
            self.key(out, key, packed);
        }
        for &(agg_index, data, normal) in &row.values {
            self.value(out, agg_index, data, normal, &lead)?;
        }
        if !packed {
            out.push(b'\n');
        }
        Ok(())
    }
}

/// The rows of one aggregation in printing order.
fn single_rows<'a>(agg: &'a Aggregation, index: usize, options: &AggOptions) -> Vec<Row<'a>> {
    sorted_entries(agg, options)
        .into_iter()
        .map(|entry| Row {
            keys: &entry.keys,
            lead: index,
            values: vec![(index, entry.data.as_slice(), entry.normal)],
        })
        .collect()
}

/// The rows of several aggregations joined on their keys (`dtrace_aggregate_walk_joined`).
fn joined_rows<'a>(
    aggs: &[&'a Aggregation],
    zeros: &'a [Vec<i64>],
    options: &AggOptions,
) -> Vec<Row<'a>> {
    let n = aggs.len();
    let sort_pos = match options.sort_pos {
        Some(pos) if pos < n as u64 => pos as usize,
        _ => 0,
    };
    // Every entry of every listed aggregation (each aggregation once), in key order.
    let mut seen_ids: Vec<u32> = Vec::new();
    let mut all: Vec<(usize, &'a AggEntry)> = Vec::new();
    for (index, agg) in aggs.iter().enumerate() {
        if seen_ids.contains(&agg.id) {
            continue;
        }
        seen_ids.push(agg.id);
        all.extend(agg.entries.iter().map(|entry| (index, entry)));
    }
    let key_pos = options.key_pos();
    all.sort_by(|(ia, a), (ib, b)| {
        let ida = aggs.get(*ia).map_or(0, |g| g.id);
        let idb = aggs.get(*ib).map_or(0, |g| g.id);
        keys_cmp(&a.keys, &b.keys, key_pos).then(ida.cmp(&idb))
    });
    // Bundles: the representative entry and, per listed aggregation, its value for the key.
    struct Bundle<'a> {
        rep: (usize, &'a AggEntry),
        slots: Vec<(usize, &'a [i64], u64)>,
    }
    let mut bundles: Vec<Bundle<'a>> = Vec::new();
    let mut start = 0;
    while start < all.len() {
        let Some(&(rep_index, rep)) = all.get(start) else {
            break;
        };
        let mut end = start + 1;
        while all
            .get(end)
            .is_some_and(|(_, e)| keys_cmp(&e.keys, &rep.keys, key_pos).is_eq())
        {
            end += 1;
        }
        let members = all.get(start..end).unwrap_or(&[]);
        // Slot j holds the aggregation listed at (j + sort_pos) mod n.
        let slots = (0..n)
            .map(|j| {
                let index = (j + sort_pos) % n;
                let id = aggs.get(index).map_or(0, |g| g.id);
                match members
                    .iter()
                    .find(|(i, _)| aggs.get(*i).is_some_and(|g| g.id == id))
                {
                    Some((_, entry)) => (index, entry.data.as_slice(), entry.normal),
                    None => (index, zeros.get(index).map_or(&[][..], |z| z.as_slice()), 1),
                }
            })
            .collect();
        bundles.push(Bundle {
            rep: (rep_index, rep),
            slots,
        });
        start = end;
    }
    bundles.sort_by(|x, y| {
        let keys = || keys_cmp(&x.rep.1.keys, &y.rep.1.keys, key_pos);
        let order = if options.sort_key {
            keys()
        } else {
            x.slots
                .iter()
                .zip(&y.slots)
                .map(|(&(i, a, _), &(_, b, _))| {
                    aggs.get(i)
                        .map_or(Ordering::Equal, |agg| agg.func.compare(a, b))
                })
                .find(|o| o.is_ne())
                .unwrap_or_else(keys)
        };
        directed(order, options.sort_rev)
    });
    bundles
        .into_iter()
        .map(|bundle| {
            // Back to the order the aggregations were listed in.
            let mut values = bundle.slots;
            values.rotate_right(sort_pos);
            Row {
                keys: &bundle.rep.1.keys,
                lead: bundle.rep.0,
                values,
            }
        })
        .collect()
}

/// The listing dtrace(1) prints at exit: every given aggregation (the consumer leaves out the
/// ones `printa()` already printed), in variable-id order, each sorted.
pub fn print_aggregations(
    out: &mut Vec<u8>,
    aggs: &[&Aggregation],
    options: &AggOptions,
    ctx: &dyn FormatContext,
) -> Result<(), RuntimeError> {
    let mut order: Vec<usize> = (0..aggs.len()).collect();
    order.sort_by(|&a, &b| {
        let ida = aggs.get(a).map_or(0, |g| g.id);
        let idb = aggs.get(b).map_or(0, |g| g.id);
        directed(ida.cmp(&idb), options.sort_rev)
    });
    let mut printer = Printer::new(aggs, options, ctx);
    for index in order {
        let Some(agg) = aggs.get(index) else { continue };
        for row in single_rows(agg, index, options) {
            printer.row(out, &row)?;
        }
    }
    Ok(())
}

/// `printa(@a)` or `printa(@a, @b, ...)` without a format: a newline, then the rows.
pub fn printa(
    out: &mut Vec<u8>,
    aggs: &[&Aggregation],
    options: &AggOptions,
    ctx: &dyn FormatContext,
) -> Result<(), RuntimeError> {
    out.push(b'\n');
    let mut printer = Printer::new(aggs, options, ctx);
    let zeros: Vec<Vec<i64>> = aggs.iter().map(|a| a.func.initial()).collect();
    let rows = match aggs {
        [] => Vec::new(),
        [agg] => single_rows(agg, 0, options),
        _ => joined_rows(aggs, &zeros, options),
    };
    for row in &rows {
        printer.row(out, row)?;
    }
    Ok(())
}

/// `printa(format, @a, ...)`: the format applied to every row; its ordinary conversions take
/// the keys in order and `%@` conversions take the values (the first `%@` the first
/// aggregation, the next `%@` the next one, and any further `%@` the last one again). Without
/// `%@` the values are not printed. Nothing is printed before the first row.
pub fn printa_formatted(
    out: &mut Vec<u8>,
    format: &Format,
    aggs: &[&Aggregation],
    options: &AggOptions,
    ctx: &dyn FormatContext,
) -> Result<(), RuntimeError> {
    let zeros: Vec<Vec<i64>> = aggs.iter().map(|a| a.func.initial()).collect();
    let rows = match aggs {
        [] => Vec::new(),
        [agg] => single_rows(agg, 0, options),
        _ => joined_rows(aggs, &zeros, options),
    };
    for row in &rows {
        let mut data: Vec<AggDatum<'_>> = Vec::with_capacity(row.values.len() + 1);
        if row.values.len() > 1 {
            let lead = aggs.get(row.lead).ok_or(RuntimeError::Mismatch)?;
            // The representative only stands in for the keys; `%@` starts after it.
            data.push(AggDatum {
                func: &lead.func,
                data: &[],
                normal: 1,
            });
        }
        for &(index, values, normal) in &row.values {
            let agg = aggs.get(index).ok_or(RuntimeError::Mismatch)?;
            data.push(AggDatum {
                func: &agg.func,
                data: values,
                normal,
            });
        }
        format_records(format, row.keys, &data, options.style, out, ctx)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
