//! Aggregating functions: the layout of their values, how a value is updated and merged, and
//! how two values are ordered.
//!
//! # Value layouts
//!
//! Every aggregation value is an array of 64-bit two's-complement words. The layouts are
//! chosen so that a BPF program updates them with plain loads, adds and stores on one CPU's
//! copy, and the consumer merges the per-CPU copies with [`AggFunc::merge`]:
//!
//! | function | words | layout |
//! |---|---|---|
//! | `count()` | 1 | `[count]` |
//! | `sum(v)` | 1 | `[sum]` |
//! | `min(v)` | 2 | `[min, updates]` |
//! | `max(v)` | 2 | `[max, updates]` |
//! | `avg(v)` | 2 | `[count, sum]` |
//! | `stddev(v)` | 4 | `[count, sum, sumsq_lo, sumsq_hi]` |
//! | `quantize(v[, n])` | 127 | one counter per power-of-two bucket |
//! | `lquantize(v, base, limit, step[, n])` | `levels + 2` | `[below, level 0 .. level levels-1, at or above limit]` |
//! | `llquantize(v, factor, low, high, nsteps[, n])` | [`Llquantize::buckets`] | `[below factor^low, ..., at or above factor^(high+1)]` |
//!
//! * `min`/`max` carry an update count so that an untouched per-CPU copy (all zero, as BPF
//!   per-CPU maps create them) is recognised and skipped: an update does
//!   `if updates == 0 || v < min { min = v }; updates += 1` (`>` for `max`).
//! * `stddev` keeps the sum of squares as a 128-bit number in two words: an update adds
//!   `|v|²` (a 128-bit product, which BPF computes from 32-bit halves) to `(sumsq_hi, sumsq_lo)`
//!   with carry: `lo += sq_lo; hi += sq_hi + (lo < sq_lo)`.
//! * The histogram parameters (`base`, `step`, `levels`, `factor`, ...) are not stored in the
//!   value, unlike illumos: they are part of [`AggFunc`].
//! * The increment `n` of the quantizing functions defaults to 1 and may be negative.
//!
//! # Bucket indices (the code generator must compute exactly these)
//!
//! `quantize(v)` ([`quantize_bucket`]), with `ZERO = 63`:
//! * `v == 0` → 63;
//! * `v > 0` → `64 + floor(log2(v))` (1 → 64, 2..=3 → 65, 4..=7 → 66, ..., ≥ 2⁶² → 126);
//! * `v < 0` → `max(0, 62 - floor(log2(|v|)))` (−1 → 62, −2..=−3 → 61, ..., ≤ −2⁶² → 0),
//!   with `|v|` taken as an unsigned 64-bit number so that `i64::MIN` works.
//!
//! Bucket `i` is labelled `-(1 << (62 - i))` below 63, 0 at 63 and `1 << (i - 64)` above.
//!
//! `lquantize(v, base, limit, step)` ([`Lquantize::bucket`]), `levels = (limit - base) / step`:
//! * first `v` is truncated to 32 bits (`x = (int32_t)v`), as DTrace does;
//! * `x < base` → 0; otherwise `level = (x - base) / step` computed in 64 bits;
//!   `level < levels` → `level + 1`, else `levels + 1`.
//!
//! `llquantize(v, factor, low, high, nsteps)` ([`Llquantize::bucket`]), all in signed 64-bit
//! arithmetic with wrapping multiplication:
//! ```text
//! this = factor^low
//! if v < this: return 0
//! last = this; this = this * factor; base = 1
//! for order in low..=high:
//!     nbuckets = min(this, nsteps)
//!     next = this * factor
//!     if next < this: v = this - 1            (the next magnitude overflows 64 bits)
//!     if v < this: return base + (v - last) / (this / nbuckets)
//!     base += nbuckets - nbuckets / factor
//!     last = this; this = next
//! return base
//! ```
//! and the value has `bucket(i64::MAX) + 1` words.

use std::cmp::Ordering;

/// Number of `quantize()` buckets.
pub const QUANTIZE_BUCKETS: usize = 127;
/// Index of the `quantize()` bucket for zero.
pub const QUANTIZE_ZERO_BUCKET: usize = 63;

/// The `quantize()` bucket of `value`.
pub fn quantize_bucket(value: i64) -> usize {
    let log2 = |magnitude: u64| 63 - magnitude.leading_zeros() as usize;
    match value.cmp(&0) {
        Ordering::Equal => QUANTIZE_ZERO_BUCKET,
        Ordering::Greater => 64 + log2(value as u64),
        Ordering::Less => 62usize.saturating_sub(log2(value.unsigned_abs())),
    }
}

/// The label (lower magnitude bound) of `quantize()` bucket `bucket`.
pub fn quantize_bucket_value(bucket: usize) -> i64 {
    match bucket.cmp(&QUANTIZE_ZERO_BUCKET) {
        Ordering::Less => -(1i64 << (62 - bucket.min(62))),
        Ordering::Equal => 0,
        Ordering::Greater => 1i64 << (bucket - 64).min(62),
    }
}

/// `lquantize()` parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lquantize {
    /// Lower bound.
    pub base: i32,
    /// Width of each level.
    pub step: u16,
    /// Number of levels between base and limit.
    pub levels: u16,
}

impl Lquantize {
    /// Parameters from the D arguments `(base, limit, step)`; `None` when they describe no
    /// level or more than 65535 levels.
    pub fn new(base: i32, limit: i32, step: u16) -> Option<Lquantize> {
        if step == 0 || limit < base {
            return None;
        }
        let levels = (i64::from(limit) - i64::from(base)) / i64::from(step);
        let levels = u16::try_from(levels).ok().filter(|&l| l > 0)?;
        Some(Lquantize { base, step, levels })
    }

    /// `base + levels * step`: the first value of the overflow bucket.
    pub fn limit(&self) -> i64 {
        i64::from(self.base) + i64::from(self.levels) * i64::from(self.step)
    }

    /// Number of words of the value.
    pub fn buckets(&self) -> usize {
        usize::from(self.levels) + 2
    }

    /// The bucket of `value`.
    pub fn bucket(&self, value: i64) -> usize {
        let x = i64::from(value as i32);
        let base = i64::from(self.base);
        if x < base {
            return 0;
        }
        let level = (x - base) / i64::from(self.step.max(1));
        if level < i64::from(self.levels) {
            level as usize + 1
        } else {
            usize::from(self.levels) + 1
        }
    }
}

/// `llquantize()` parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Llquantize {
    /// Base of the magnitudes.
    pub factor: u16,
    /// Lowest magnitude.
    pub low: u16,
    /// Highest magnitude.
    pub high: u16,
    /// Linear steps per magnitude.
    pub nsteps: u16,
}

impl Llquantize {
    /// Parameters, checked as the kernel checks them: `factor >= 2`, `low < high`,
    /// `nsteps >= factor`, `factor` divides `nsteps`, and `nsteps` divides a power of `factor`.
    pub fn new(factor: u16, low: u16, high: u16, nsteps: u16) -> Option<Llquantize> {
        if factor < 2 || low >= high || nsteps < factor || !nsteps.is_multiple_of(factor) {
            return None;
        }
        let mut v = u64::from(factor);
        while v < u64::from(nsteps) {
            v *= u64::from(factor);
        }
        if !v.is_multiple_of(u64::from(nsteps)) {
            return None;
        }
        Some(Llquantize {
            factor,
            low,
            high,
            nsteps,
        })
    }

    /// The bucket of `value` (see the module documentation).
    pub fn bucket(&self, value: i64) -> usize {
        let factor = i64::from(self.factor);
        let nsteps = i64::from(self.nsteps);
        let mut value = value;
        let mut this: i64 = 1;
        for _ in 0..self.low {
            this = this.wrapping_mul(factor);
        }
        if value < this {
            return 0;
        }
        let mut last = this;
        this = this.wrapping_mul(factor);
        let mut base: i64 = 1;
        for _ in self.low..=self.high {
            let nbuckets = if this > nsteps { nsteps } else { this };
            let next = this.wrapping_mul(factor);
            if next < this {
                value = this - 1;
            }
            if value < this {
                if nbuckets <= 0 || this / nbuckets == 0 {
                    return base as usize;
                }
                return (base + (value - last) / (this / nbuckets)) as usize;
            }
            base += nbuckets - nbuckets / factor;
            last = this;
            this = next;
        }
        base as usize
    }

    /// Number of words of the value.
    pub fn buckets(&self) -> usize {
        self.bucket(i64::MAX) + 1
    }
}

/// An aggregating function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// `count()`
    Count,
    /// `sum()`
    Sum,
    /// `avg()`
    Avg,
    /// `min()`
    Min,
    /// `max()`
    Max,
    /// `stddev()`
    Stddev,
    /// `quantize()`
    Quantize,
    /// `lquantize()`
    Lquantize(Lquantize),
    /// `llquantize()`
    Llquantize(Llquantize),
}

impl AggFunc {
    /// The D name of the function.
    pub fn name(&self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::Stddev => "stddev",
            AggFunc::Quantize => "quantize",
            AggFunc::Lquantize(_) => "lquantize",
            AggFunc::Llquantize(_) => "llquantize",
        }
    }

    /// Number of 64-bit words in a value.
    pub fn words(&self) -> usize {
        match self {
            AggFunc::Count | AggFunc::Sum => 1,
            AggFunc::Min | AggFunc::Max | AggFunc::Avg => 2,
            AggFunc::Stddev => 4,
            AggFunc::Quantize => QUANTIZE_BUCKETS,
            AggFunc::Lquantize(l) => l.buckets(),
            AggFunc::Llquantize(l) => l.buckets(),
        }
    }

    /// A fresh value: all zero.
    pub fn initial(&self) -> Vec<i64> {
        vec![0; self.words()]
    }

    /// Applies `value` (and, for the quantizing functions, `increment`) to `data`: the
    /// reference semantics the generated BPF code implements. Short `data` is ignored.
    pub fn update(&self, data: &mut [i64], value: i64, increment: i64) {
        if data.len() < self.words() {
            return;
        }
        let add = |data: &mut [i64], i: usize, n: i64| {
            if let Some(word) = data.get_mut(i) {
                *word = word.wrapping_add(n);
            }
        };
        match self {
            AggFunc::Count => add(data, 0, 1),
            AggFunc::Sum => add(data, 0, value),
            AggFunc::Min | AggFunc::Max => {
                let first = data.get(1) == Some(&0);
                if let Some(current) = data.first_mut() {
                    let better = if *self == AggFunc::Min {
                        value < *current
                    } else {
                        value > *current
                    };
                    if first || better {
                        *current = value;
                    }
                }
                add(data, 1, 1);
            }
            AggFunc::Avg => {
                add(data, 0, 1);
                add(data, 1, value);
            }
            AggFunc::Stddev => {
                add(data, 0, 1);
                add(data, 1, value);
                let square = u128::from(value.unsigned_abs()).pow(2);
                let sum = sumsq(data).wrapping_add(square);
                set_sumsq(data, sum);
            }
            AggFunc::Quantize => add(data, quantize_bucket(value), increment),
            AggFunc::Lquantize(l) => add(data, l.bucket(value), increment),
            AggFunc::Llquantize(l) => add(data, l.bucket(value), increment),
        }
    }

    /// Merges another CPU's copy `other` into `into`.
    pub fn merge(&self, into: &mut [i64], other: &[i64]) {
        match self {
            AggFunc::Min | AggFunc::Max => {
                let other_updates = other.get(1).copied().unwrap_or(0);
                if other_updates == 0 {
                    return;
                }
                let other_value = other.first().copied().unwrap_or(0);
                let into_updates = into.get(1).copied().unwrap_or(0);
                if let Some(current) = into.first_mut() {
                    let better = if *self == AggFunc::Min {
                        other_value < *current
                    } else {
                        other_value > *current
                    };
                    if into_updates == 0 || better {
                        *current = other_value;
                    }
                }
                if let Some(updates) = into.get_mut(1) {
                    *updates = updates.wrapping_add(other_updates);
                }
            }
            AggFunc::Stddev => {
                for i in 0..2 {
                    if let (Some(a), Some(b)) = (into.get_mut(i), other.get(i)) {
                        *a = a.wrapping_add(*b);
                    }
                }
                let sum = sumsq(into).wrapping_add(sumsq(other));
                set_sumsq(into, sum);
            }
            _ => {
                for (a, b) in into.iter_mut().zip(other) {
                    *a = a.wrapping_add(*b);
                }
            }
        }
    }

    /// Orders two values of this function the way DTrace sorts aggregations by value
    /// (`dt_aggregate_valcmp`).
    pub fn compare(&self, a: &[i64], b: &[i64]) -> Ordering {
        let word = |d: &[i64], i: usize| d.get(i).copied().unwrap_or(0);
        match self {
            AggFunc::Count | AggFunc::Sum | AggFunc::Min | AggFunc::Max => {
                word(a, 0).cmp(&word(b, 0))
            }
            AggFunc::Avg => {
                let avg = |d: &[i64]| match word(d, 0) {
                    0 => 0,
                    count => word(d, 1).wrapping_div(count),
                };
                avg(a).cmp(&avg(b))
            }
            AggFunc::Stddev => stddev(a, 1).cmp(&stddev(b, 1)),
            AggFunc::Quantize => {
                let weights = |d: &[i64]| -> Vec<(i64, i64)> {
                    (0..QUANTIZE_BUCKETS)
                        .map(|i| (word(d, i), quantize_bucket_value(i)))
                        .collect()
                };
                compare_weighted(&weights(a), &weights(b))
                    .then_with(|| word(a, QUANTIZE_ZERO_BUCKET).cmp(&word(b, QUANTIZE_ZERO_BUCKET)))
            }
            AggFunc::Lquantize(l) => {
                compare_weighted(&lquantize_weights(l, a), &lquantize_weights(l, b))
                    .then_with(|| lquantize_zero(l, a).cmp(&lquantize_zero(l, b)))
            }
            AggFunc::Llquantize(l) => {
                compare_weighted(&llquantize_weights(l, a), &llquantize_weights(l, b))
                    .then_with(|| word(a, 0).cmp(&word(b, 0)))
            }
        }
    }
}

fn sumsq(data: &[i64]) -> u128 {
    let lo = data.get(2).copied().unwrap_or(0) as u64;
    let hi = data.get(3).copied().unwrap_or(0) as u64;
    (u128::from(hi) << 64) | u128::from(lo)
}

fn set_sumsq(data: &mut [i64], value: u128) {
    if let Some(lo) = data.get_mut(2) {
        *lo = value as u64 as i64;
    }
    if let Some(hi) = data.get_mut(3) {
        *hi = (value >> 64) as u64 as i64;
    }
}

/// Integer square root (floor).
fn isqrt(n: u128) -> u64 {
    if n == 0 {
        return 0;
    }
    let mut x = (n as f64).sqrt() as u128;
    while x * x > n {
        x -= 1;
    }
    while (x + 1).checked_mul(x + 1).is_some_and(|sq| sq <= n) {
        x += 1;
    }
    x as u64
}

/// The standard deviation DTrace prints: `sqrt(sumsq/normal²/count - (sum/normal/count)²)`,
/// with the sum of squares divided as an unsigned 128-bit number, the mean divided as signed
/// 64-bit numbers, the difference taken modulo 2¹²⁸, and the integer square root. An empty
/// value (count 0) gives 0.
pub fn stddev(data: &[i64], normal: u64) -> u64 {
    let count = data.first().copied().unwrap_or(0);
    if count == 0 {
        return 0;
    }
    let normal = normal.max(1);
    // The squares scale with the square of the normalization factor.
    let avg_of_squares =
        sumsq(data) / (u128::from(normal) * u128::from(normal)) / u128::from(count as u64);
    let mean = data
        .get(1)
        .copied()
        .unwrap_or(0)
        .wrapping_div(normal as i64)
        .wrapping_div(count);
    let square_of_mean = u128::from(mean.unsigned_abs()).pow(2);
    isqrt(avg_of_squares.wrapping_sub(square_of_mean))
}

/// The average DTrace prints by default: `sum / normal / count` in signed arithmetic, 0 when
/// the count is 0.
pub fn average(data: &[i64], normal: u64) -> i64 {
    match data.first().copied().unwrap_or(0) {
        0 => 0,
        count => data
            .get(1)
            .copied()
            .unwrap_or(0)
            .wrapping_div(normal.max(1) as i64)
            .wrapping_div(count),
    }
}

/// Rounds to the 64-bit significand of the x87 `long double` DTrace sums in.
fn round_long_double(x: i128) -> i128 {
    let magnitude = x.unsigned_abs();
    let bits = 128 - magnitude.leading_zeros();
    if bits <= 64 {
        return x;
    }
    let shift = bits - 64;
    let unit = 1u128 << shift;
    let half = unit >> 1;
    let remainder = magnitude & (unit - 1);
    let mut rounded = magnitude - remainder;
    if remainder > half || (remainder == half && (rounded >> shift) & 1 == 1) {
        rounded += unit;
    }
    let rounded = rounded.min(i128::MAX as u128) as i128;
    if x < 0 { -rounded } else { rounded }
}

/// `Σ count × weight` as DTrace computes it in `long double`; `None` on 128-bit overflow.
fn weighted_sum(terms: &[(i64, i64)]) -> Option<i128> {
    let mut total: i128 = 0;
    for &(count, weight) in terms {
        let product = round_long_double(i128::from(count).checked_mul(i128::from(weight))?);
        total = round_long_double(total.checked_add(product)?);
    }
    Some(total)
}

fn compare_weighted(a: &[(i64, i64)], b: &[(i64, i64)]) -> Ordering {
    match (weighted_sum(a), weighted_sum(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => {
            let approx =
                |t: &[(i64, i64)]| t.iter().map(|&(c, w)| c as f64 * w as f64).sum::<f64>();
            approx(a).partial_cmp(&approx(b)).unwrap_or(Ordering::Equal)
        }
    }
}

/// `lquantize()` buckets with the value each is weighted by when sorting.
fn lquantize_weights(l: &Lquantize, data: &[i64]) -> Vec<(i64, i64)> {
    let word = |i: usize| data.get(i).copied().unwrap_or(0);
    let base = i64::from(l.base);
    let step = i64::from(l.step);
    let mut terms = vec![(word(0), base - 1)];
    for i in 0..usize::from(l.levels) {
        terms.push((word(i + 1), base + i as i64 * step));
    }
    terms.push((word(usize::from(l.levels) + 1), l.limit() + 1));
    terms
}

/// The count DTrace compares second: the bucket whose weight is zero, if any.
fn lquantize_zero(l: &Lquantize, data: &[i64]) -> i64 {
    lquantize_weights(l, data)
        .into_iter()
        .find(|&(_, weight)| weight == 0)
        .map_or(0, |(count, _)| count)
}

/// `llquantize()` buckets with their weights: each bucket's lower bound, `factor^low - 1` for
/// the underflow bucket.
fn llquantize_weights(l: &Llquantize, data: &[i64]) -> Vec<(i64, i64)> {
    let word = |i: usize| data.get(i).copied().unwrap_or(0);
    let factor = i64::from(l.factor);
    let nsteps = i64::from(l.nsteps);
    let mut value: i64 = 1;
    for _ in 0..l.low {
        value = value.wrapping_mul(factor);
    }
    let mut terms = vec![(word(0), value.wrapping_sub(1))];
    let mut bin = 1;
    let mut next = value.wrapping_mul(factor);
    let mut step = if next > nsteps { next / nsteps } else { 1 };
    let mut order = l.low;
    while order <= l.high && bin < data.len() {
        terms.push((word(bin), value));
        bin += 1;
        value = value.wrapping_add(step);
        if value != next {
            continue;
        }
        next = value.wrapping_mul(factor);
        step = if next > nsteps { next / nsteps } else { 1 };
        order += 1;
    }
    terms.push((word(bin), value));
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_buckets() {
        let cases = [
            (0, 63),
            (1, 64),
            (2, 65),
            (3, 65),
            (4, 66),
            (1023, 73),
            (1024, 74),
            (i64::MAX, 126),
            (1 << 62, 126),
            (-1, 62),
            (-2, 61),
            (-3, 61),
            (-4, 60),
            (-(1 << 62), 0),
            (i64::MIN, 0),
        ];
        for (value, bucket) in cases {
            assert_eq!(quantize_bucket(value), bucket, "value {value}");
        }
        assert_eq!(quantize_bucket_value(0), -(1 << 62));
        assert_eq!(quantize_bucket_value(61), -2);
        assert_eq!(quantize_bucket_value(63), 0);
        assert_eq!(quantize_bucket_value(66), 4);
        assert_eq!(quantize_bucket_value(126), 1 << 62);
        // Every value lands in the bucket whose label bounds it.
        for value in [-100i64, -7, -1, 0, 1, 5, 99, 1 << 40] {
            let b = quantize_bucket(value);
            let label = quantize_bucket_value(b);
            if value > 0 {
                assert!(label <= value && value < label * 2);
            } else if value < 0 {
                assert!(label >= value && value > label * 2);
            }
        }
    }

    #[test]
    fn lquantize_buckets() {
        let l = Lquantize::new(0, 100, 10).unwrap();
        assert_eq!(l.levels, 10);
        assert_eq!(l.buckets(), 12);
        assert_eq!(l.bucket(-1), 0);
        assert_eq!(l.bucket(0), 1);
        assert_eq!(l.bucket(9), 1);
        assert_eq!(l.bucket(10), 2);
        assert_eq!(l.bucket(99), 10);
        assert_eq!(l.bucket(100), 11);
        assert_eq!(l.bucket(1000), 11);
        assert_eq!(l.bucket(1 << 40), 1); // truncated to 32 bits: 0
        // The value is truncated to 32 bits first: 2^32 + 5 is 5.
        assert_eq!(l.bucket((1 << 32) + 5), 1);
        let l = Lquantize::new(-10, 10, 5).unwrap();
        assert_eq!(l.bucket(-11), 0);
        assert_eq!(l.bucket(-10), 1);
        assert_eq!(l.bucket(-6), 1);
        assert_eq!(l.bucket(-5), 2);
        assert_eq!(l.bucket(9), 4);
        assert_eq!(l.bucket(10), 5);
        assert!(Lquantize::new(0, 5, 10).is_none());
        assert!(Lquantize::new(5, 0, 1).is_none());
    }

    #[test]
    fn llquantize_buckets() {
        let l = Llquantize::new(10, 0, 2, 20).unwrap();
        // Magnitude 0: 1..9 one per value; magnitude 1: 10..95 by 5; magnitude 2: 100..950
        // by 50; then >= 1000.
        assert_eq!(l.bucket(0), 0);
        assert_eq!(l.bucket(1), 1);
        assert_eq!(l.bucket(9), 9);
        assert_eq!(l.bucket(10), 10);
        assert_eq!(l.bucket(14), 10);
        assert_eq!(l.bucket(15), 11);
        assert_eq!(l.bucket(99), 27);
        assert_eq!(l.bucket(100), 28);
        assert_eq!(l.bucket(999), 45);
        assert_eq!(l.bucket(1000), 46);
        assert_eq!(l.bucket(i64::MAX), 46);
        assert_eq!(l.buckets(), 47);
        let l = Llquantize::new(2, 0, 62, 2).unwrap();
        assert_eq!(l.bucket(i64::MAX), l.buckets() - 1);
        assert!(Llquantize::new(10, 0, 2, 15).is_none());
        assert!(Llquantize::new(1, 0, 2, 2).is_none());
        assert!(Llquantize::new(10, 3, 2, 10).is_none());
    }

    #[test]
    fn updates_and_merges() {
        let f = AggFunc::Min;
        let (mut a, mut b) = (f.initial(), f.initial());
        f.update(&mut a, 5, 1);
        f.update(&mut a, 9, 1);
        f.merge(&mut a, &b);
        assert_eq!(a, vec![5, 2]);
        f.update(&mut b, -3, 1);
        f.merge(&mut a, &b);
        assert_eq!(a, vec![-3, 3]);
        let mut empty = f.initial();
        f.merge(&mut empty, &a);
        assert_eq!(empty, vec![-3, 3]);

        let f = AggFunc::Stddev;
        let (mut a, mut b) = (f.initial(), f.initial());
        for v in [2, 4, 4, 4] {
            f.update(&mut a, v, 1);
        }
        for v in [5, 5, 7, 9] {
            f.update(&mut b, v, 1);
        }
        f.merge(&mut a, &b);
        assert_eq!(a[0], 8);
        assert_eq!(stddev(&a, 1), 2);
    }

    #[test]
    fn stddev_carries_into_the_high_word() {
        let f = AggFunc::Stddev;
        let mut a = f.initial();
        for _ in 0..40 {
            f.update(&mut a, 1_000_000_000, 1);
            f.update(&mut a, 3_000_000_000, 1);
        }
        assert_ne!(a[3], 0);
        assert_eq!(stddev(&a, 1), 1_000_000_000);
    }

    #[test]
    fn average_truncates_toward_zero() {
        assert_eq!(average(&[2, -5], 1), -2);
        assert_eq!(average(&[0, 7], 1), 0);
        assert_eq!(average(&[3, 100], 10), 3);
    }

    #[test]
    fn long_double_rounding() {
        assert_eq!(round_long_double(5), 5);
        let big = (1i128 << 70) + 1;
        assert_eq!(round_long_double(big), 1i128 << 70);
        assert_eq!(round_long_double(-big), -(1i128 << 70));
        // A tie rounds to even.
        assert_eq!(round_long_double((1i128 << 65) + 1), 1i128 << 65);
        assert_eq!(round_long_double((1i128 << 65) + 3), (1i128 << 65) + 4);
    }

    #[test]
    fn histogram_values_order_by_weighted_sum() {
        let f = AggFunc::Quantize;
        let (mut a, mut b) = (f.initial(), f.initial());
        f.update(&mut a, 100, 1);
        f.update(&mut b, 1, 10);
        assert_eq!(f.compare(&a, &b), Ordering::Greater);
        let l = AggFunc::Lquantize(Lquantize::new(0, 10, 1).unwrap());
        let (mut a, mut b) = (l.initial(), l.initial());
        l.update(&mut a, 0, 3);
        l.update(&mut b, 0, 1);
        // Both sums are zero; the zero bucket decides.
        assert_eq!(l.compare(&a, &b), Ordering::Greater);
    }
}
