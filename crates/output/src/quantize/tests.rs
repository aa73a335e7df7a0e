use super::*;
use crate::aggfunc::quantize_bucket;

const HEADER: &str = "\n           value  ------------- Distribution ------------- count    \n";

/// A positive-only row: label, `depth` `@`, count.
fn row(label: &str, depth: usize, count: i64) -> String {
    format!(
        "{label:>16} |{}{} {count:<9}\n",
        "@".repeat(depth),
        " ".repeat(40 - depth)
    )
}

/// A negative-only row.
fn neg_row(label: &str, depth: usize, count: i64) -> String {
    format!(
        "{label:>16} {}{}| {count:<9}\n",
        " ".repeat(40 - depth),
        "@".repeat(depth)
    )
}

fn quantize_of(values: &[(i64, i64)]) -> Vec<i64> {
    let f = AggFunc::Quantize;
    let mut data = f.initial();
    for &(value, incr) in values {
        f.update(&mut data, value, incr);
    }
    data
}

fn render_to_string(func: &AggFunc, data: &[i64], normal: u64, style: HistogramStyle) -> String {
    let mut out = Vec::new();
    render(&mut out, func, data, normal, style).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn single_bucket_literal() {
    let data = quantize_of(&[(1, 3)]);
    let expected = concat!(
        "\n",
        "           value  ------------- Distribution ------------- count    \n",
        "               0 |                                         0        \n",
        "               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 3        \n",
        "               2 |                                         0        \n",
    );
    assert_eq!(
        render_to_string(&AggFunc::Quantize, &data, 1, HistogramStyle::default()),
        expected
    );
}

#[test]
fn small_values_with_gaps() {
    let data = quantize_of(&[(1, 1), (2, 1), (3, 1), (4, 1), (8, 1), (8, 1), (100, 1)]);
    // total 7: 1 → 6 columns, 2 → 11 columns.
    let expected = [
        HEADER.to_string(),
        row("0", 0, 0),
        row("1", 6, 1),
        row("2", 11, 2),
        row("4", 6, 1),
        row("8", 11, 2),
        row("16", 0, 0),
        row("32", 0, 0),
        row("64", 6, 1),
        row("128", 0, 0),
    ]
    .concat();
    assert_eq!(
        render_to_string(&AggFunc::Quantize, &data, 1, HistogramStyle::default()),
        expected
    );
}

#[test]
fn large_values() {
    let data = quantize_of(&[(1 << 40, 1), (i64::MAX, 1)]);
    assert_eq!(quantize_bucket(i64::MAX), 126);
    let text = render_to_string(&AggFunc::Quantize, &data, 1, HistogramStyle::default());
    assert!(text.starts_with(&(HEADER.to_string() + &row("549755813888", 0, 0))));
    assert!(text.contains(&row("1099511627776", 20, 1)));
    assert!(text.ends_with(&row("4611686018427387904", 20, 1)));
    // 2^39 .. 2^62 inclusive.
    assert_eq!(text.lines().count(), 2 + 24);
}

#[test]
fn negative_values() {
    // Negative values with positive counts draw ordinary bars.
    let data = quantize_of(&[(-1, 1), (-1, 1), (-5, 1)]);
    let expected = [
        HEADER.to_string(),
        row("-8", 0, 0),
        row("-4", 13, 1),
        row("-2", 0, 0),
        row("-1", 27, 2),
        row("0", 0, 0),
    ]
    .concat();
    assert_eq!(
        render_to_string(&AggFunc::Quantize, &data, 1, HistogramStyle::default()),
        expected
    );
}

#[test]
fn counts_of_both_signs_split_the_bar() {
    // quantize(-1, -1) and quantize(1, 1): one negative and one positive count.
    let data = quantize_of(&[(-1, -1), (1, 1)]);
    let empty = |label: &str| {
        format!(
            "{label:>16} {}|{} 0        \n",
            " ".repeat(20),
            " ".repeat(20)
        )
    };
    let expected = [
        HEADER.to_string(),
        empty("-2"),
        format!(
            "{:>16} {}{}|{} -1       \n",
            "-1",
            " ".repeat(10),
            "@".repeat(10),
            " ".repeat(20)
        ),
        empty("0"),
        format!(
            "{:>16} {}|{}{} 1        \n",
            "1",
            " ".repeat(20),
            "@".repeat(10),
            " ".repeat(10)
        ),
        empty("2"),
    ]
    .concat();
    assert_eq!(
        render_to_string(&AggFunc::Quantize, &data, 1, HistogramStyle::default()),
        expected
    );
}

#[test]
fn negative_increments_give_negative_counts() {
    let data = quantize_of(&[(3, -2)]);
    let expected = [
        HEADER.to_string(),
        neg_row("1", 0, 0),
        neg_row("2", 40, -2),
        neg_row("4", 0, 0),
    ]
    .concat();
    assert_eq!(
        render_to_string(&AggFunc::Quantize, &data, 1, HistogramStyle::default()),
        expected
    );
}

#[test]
fn empty_and_last_bucket_only() {
    let expected = [
        HEADER.to_string(),
        row("-1", 0, 0),
        row("0", 0, 0),
        row("1", 0, 0),
    ]
    .concat();
    let empty = AggFunc::Quantize.initial();
    assert_eq!(
        render_to_string(&AggFunc::Quantize, &empty, 1, HistogramStyle::default()),
        expected
    );
    // As in illumos, a value only in the last bucket is shown as empty.
    let mut last = AggFunc::Quantize.initial();
    last[126] = 5;
    assert_eq!(
        render_to_string(&AggFunc::Quantize, &last, 1, HistogramStyle::default()),
        expected
    );
}

#[test]
fn normalized_counts() {
    let data = quantize_of(&[(1, 3), (2, 1)]);
    let expected = [
        HEADER.to_string(),
        row("0", 0, 0),
        row("1", 30, 1),
        row("2", 10, 0),
        row("4", 0, 0),
    ]
    .concat();
    assert_eq!(
        render_to_string(&AggFunc::Quantize, &data, 2, HistogramStyle::default()),
        expected
    );
}

#[test]
fn zoom_scales_to_the_largest_bucket() {
    let data = quantize_of(&[(1, 3), (2, 1)]);
    let style = HistogramStyle {
        zoom: true,
        ..HistogramStyle::default()
    };
    let expected = [
        HEADER.to_string(),
        row("0", 0, 0),
        row("1", 38, 3),
        row("2", 13, 1),
        row("4", 0, 0),
    ]
    .concat();
    assert_eq!(
        render_to_string(&AggFunc::Quantize, &data, 1, style),
        expected
    );
}

#[test]
fn utf8_bars_use_eighths() {
    let data = quantize_of(&[(1, 1), (2, 2)]);
    let style = HistogramStyle {
        utf8: true,
        ..HistogramStyle::default()
    };
    let full = "\u{2588}";
    let expected = [
        HEADER.to_string(),
        format!("{:>16} |{} 0        \n", "0", " ".repeat(40)),
        format!(
            "{:>16} |{}\u{258e}{} 1        \n",
            "1",
            full.repeat(13),
            " ".repeat(26)
        ),
        format!(
            "{:>16} |{}\u{258b}{} 2        \n",
            "2",
            full.repeat(26),
            " ".repeat(13)
        ),
        format!("{:>16} |{} 0        \n", "4", " ".repeat(40)),
    ]
    .concat();
    assert_eq!(
        render_to_string(&AggFunc::Quantize, &data, 1, style),
        expected
    );
}

fn lquantize_of(params: Lquantize, values: &[i64]) -> (AggFunc, Vec<i64>) {
    let f = AggFunc::Lquantize(params);
    let mut data = f.initial();
    for &v in values {
        f.update(&mut data, v, 1);
    }
    (f, data)
}

#[test]
fn lquantize_below_and_above_range() {
    let (f, data) = lquantize_of(Lquantize::new(0, 10, 1).unwrap(), &[-1, 3, 3, 12]);
    let mut expected = HEADER.to_string() + &row("< 0", 10, 1);
    for i in 0..10 {
        let (depth, count) = if i == 3 { (20, 2) } else { (0, 0) };
        expected += &row(&i.to_string(), depth, count);
    }
    expected += &row(">= 10", 10, 1);
    assert_eq!(
        render_to_string(&f, &data, 1, HistogramStyle::default()),
        expected
    );
}

#[test]
fn lquantize_middle_and_empty() {
    let (f, data) = lquantize_of(Lquantize::new(0, 100, 10).unwrap(), &[55, 57]);
    let expected = [
        HEADER.to_string(),
        row("40", 0, 0),
        row("50", 40, 2),
        row("60", 0, 0),
    ]
    .concat();
    assert_eq!(
        render_to_string(&f, &data, 1, HistogramStyle::default()),
        expected
    );

    let (f, data) = lquantize_of(Lquantize::new(-10, 10, 5).unwrap(), &[]);
    let expected = [
        HEADER.to_string(),
        row("< -10", 0, 0),
        row("-10", 0, 0),
        row("-5", 0, 0),
    ]
    .concat();
    assert_eq!(
        render_to_string(&f, &data, 1, HistogramStyle::default()),
        expected
    );

    let (f, data) = lquantize_of(Lquantize::new(0, 100, 10).unwrap(), &[1000]);
    let expected = [HEADER.to_string(), row("90", 0, 0), row(">= 100", 40, 1)].concat();
    assert_eq!(
        render_to_string(&f, &data, 1, HistogramStyle::default()),
        expected
    );
}

#[test]
fn llquantize_rows() {
    let params = Llquantize::new(10, 0, 2, 10).unwrap();
    assert_eq!(params.buckets(), 29);
    let f = AggFunc::Llquantize(params);
    let mut data = f.initial();
    for v in [0, 5, 50, 55, 5000] {
        f.update(&mut data, v, 1);
    }
    let mut expected = HEADER.to_string() + &row("< 1", 8, 1);
    let mut labels = Vec::new();
    for magnitude in [1, 10, 100] {
        for k in 1..10 {
            labels.push(magnitude * k);
        }
    }
    for label in labels {
        let (depth, count) = match label {
            5 => (8, 1),
            50 => (16, 2),
            _ => (0, 0),
        };
        expected += &row(&label.to_string(), depth, count);
    }
    expected += &row(">= 1000", 8, 1);
    assert_eq!(
        render_to_string(&f, &data, 1, HistogramStyle::default()),
        expected
    );

    let mut data = f.initial();
    f.update(&mut data, 50, 1);
    let expected = [
        HEADER.to_string(),
        row("40", 0, 0),
        row("50", 40, 1),
        row("60", 0, 0),
    ]
    .concat();
    assert_eq!(
        render_to_string(&f, &data, 1, HistogramStyle::default()),
        expected
    );

    let empty = f.initial();
    let expected = [HEADER.to_string(), row("< 1", 0, 0), row("1", 0, 0)].concat();
    assert_eq!(
        render_to_string(&f, &empty, 1, HistogramStyle::default()),
        expected
    );
}

#[test]
fn llquantize_with_step_wider_than_one() {
    // factor 10, magnitudes 1..=2, 20 steps: 10, 15, ..., 95, 100, 150, ..., 950.
    let params = Llquantize::new(10, 1, 2, 20).unwrap();
    let f = AggFunc::Llquantize(params);
    let mut data = f.initial();
    f.update(&mut data, 17, 1);
    f.update(&mut data, 3, 1);
    let text = render_to_string(&f, &data, 1, HistogramStyle::default());
    assert!(text.starts_with(&(HEADER.to_string() + &row("< 10", 20, 1) + &row("10", 0, 0))));
    assert!(text.ends_with(&(row("15", 20, 1) + &row("20", 0, 0))));
}

#[test]
fn wrong_sizes_are_errors() {
    let mut out = Vec::new();
    assert!(render_quantize(&mut out, &[0; 10], 1, HistogramStyle::default()).is_err());
    let l = Lquantize::new(0, 10, 1).unwrap();
    assert!(render_lquantize(&mut out, &l, &[0; 3], 1, HistogramStyle::default()).is_err());
    assert!(
        render(
            &mut out,
            &AggFunc::Count,
            &[1],
            1,
            HistogramStyle::default()
        )
        .is_err()
    );
}

#[test]
fn ndigits_like_illumos() {
    assert_eq!(ndigits(0), 4);
    assert_eq!(ndigits(9999), 4);
    assert_eq!(ndigits(10000), 4);
    assert_eq!(ndigits(10001), 5);
    assert_eq!(ndigits(-1024), 5);
    assert_eq!(ndigits(1 << 62), 19);
}

#[test]
fn packed_utf8_choice() {
    assert!(packed_uses_utf8(None, Some("xterm")));
    assert!(packed_uses_utf8(None, None));
    assert!(!packed_uses_utf8(None, Some("dumb")));
    assert!(!packed_uses_utf8(Some("ascii"), Some("xterm")));
    assert!(packed_uses_utf8(Some("utf8"), Some("dumb")));
}

/// Arbitrary bucket contents never panic.
#[test]
fn arbitrary_buckets_do_not_panic() {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as i64
    };
    let funcs = [
        AggFunc::Quantize,
        AggFunc::Lquantize(Lquantize::new(-50, 50, 7).unwrap()),
        AggFunc::Llquantize(Llquantize::new(4, 1, 9, 16).unwrap()),
    ];
    for round in 0..300 {
        for func in &funcs {
            let mut data = func.initial();
            for word in data.iter_mut() {
                *word = match next() % 4 {
                    0 => 0,
                    1 => next(),
                    _ => next() % 100,
                };
            }
            for zoom in [false, true] {
                let style = HistogramStyle {
                    zoom,
                    utf8: round % 2 == 0,
                    packed_utf8: false,
                };
                let mut out = Vec::new();
                render(&mut out, func, &data, (next() as u64) % 5, style).unwrap();
                if let AggFunc::Lquantize(params) = func {
                    render_lquantize_packed(&mut out, params, &data, &style).unwrap();
                }
                if *func == AggFunc::Quantize {
                    let (lo, hi) = nonzero_bins(&data).unwrap_or((63, 63));
                    render_quantize_packed(&mut out, &data, lo, hi, &style).unwrap();
                    packed_header(&mut out, 17, func, lo, hi);
                }
            }
        }
    }
}
