use super::*;
use crate::aggfunc::{Lquantize, quantize_bucket};
use crate::context::NoSymbols;
use crate::context::test_support::FakeSymbols;
use crate::printf::parse_format;
use crate::value::Stack;

/// A D string key as the record holds it (NUL-padded to a small `strsize`).
fn s(text: &str) -> Value {
    let mut bytes = text.as_bytes().to_vec();
    bytes.resize(32, 0);
    Value::Bytes(bytes)
}

fn entry(keys: Vec<Value>, data: Vec<i64>) -> AggEntry {
    AggEntry::new(keys, data)
}

fn counts(id: u32, rows: &[(&str, i64)]) -> Aggregation {
    Aggregation {
        id,
        func: AggFunc::Count,
        entries: rows
            .iter()
            .map(|&(k, n)| entry(vec![s(k)], vec![n]))
            .collect(),
    }
}

/// `"  %-50s"` string key then `" %16lld"` value.
fn string_row(key: &str, value: i64) -> String {
    format!("  {key:<50} {value:>16}\n")
}

fn print(aggs: &[&Aggregation], options: &AggOptions) -> String {
    let mut out = Vec::new();
    print_aggregations(&mut out, aggs, options, &FakeSymbols).unwrap();
    String::from_utf8(out).unwrap()
}

fn printa_text(aggs: &[&Aggregation], options: &AggOptions) -> String {
    let mut out = Vec::new();
    printa(&mut out, aggs, options, &FakeSymbols).unwrap();
    String::from_utf8(out).unwrap()
}

fn printa_fmt(format: &str, aggs: &[&Aggregation], options: &AggOptions) -> String {
    let f = parse_format(format.as_bytes()).unwrap();
    let mut out = Vec::new();
    printa_formatted(&mut out, &f, aggs, options, &NoSymbols).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn counts_by_string_key_literal() {
    let agg = counts(1, &[("bash", 3), ("sshd", 1), ("dtrace", 1)]);
    let expected = concat!(
        "  dtrace                                                            1\n",
        "  sshd                                                              1\n",
        "  bash                                                              3\n",
    );
    assert_eq!(print(&[&agg], &AggOptions::default()), expected);
    assert_eq!(
        printa_text(&[&agg], &AggOptions::default()),
        format!("\n{expected}")
    );
}

#[test]
fn keyless_values_of_every_scalar_function() {
    let one = |func: AggFunc, data: Vec<i64>| Aggregation {
        id: 1,
        func,
        entries: vec![entry(vec![], data)],
    };
    let cases = [
        (one(AggFunc::Count, vec![5]), "                5\n"),
        (one(AggFunc::Sum, vec![-12]), "              -12\n"),
        (one(AggFunc::Min, vec![-3, 2]), "               -3\n"),
        (one(AggFunc::Max, vec![99, 4]), "               99\n"),
        (one(AggFunc::Avg, vec![4, -10]), "               -2\n"),
        (one(AggFunc::Avg, vec![0, 0]), "                0\n"),
    ];
    for (agg, expected) in &cases {
        assert_eq!(
            print(&[agg], &AggOptions::default()),
            *expected,
            "{:?}",
            agg.func
        );
    }
    let f = AggFunc::Stddev;
    let mut data = f.initial();
    for v in [2, 4, 4, 4, 5, 5, 7, 9] {
        f.update(&mut data, v, 1);
    }
    assert_eq!(
        print(&[&one(f, data)], &AggOptions::default()),
        "                2\n"
    );
}

#[test]
fn integer_keys_by_size_and_multiple_keys() {
    let agg = Aggregation {
        id: 1,
        func: AggFunc::Sum,
        entries: vec![
            entry(vec![Value::int(1234), s("cat")], vec![10]),
            entry(vec![Value::int(99), s("ls")], vec![20]),
        ],
    };
    let expected = format!(
        "{:>9}  {:<50} {:>16}\n{:>9}  {:<50} {:>16}\n",
        1234, "cat", 10, 99, "ls", 20
    );
    assert_eq!(print(&[&agg], &AggOptions::default()), expected);
    let widths = Aggregation {
        id: 1,
        func: AggFunc::Count,
        entries: vec![entry(
            vec![
                Value::signed(-1, 1),
                Value::signed(-1, 2),
                Value::int(-1),
                Value::i64(-1),
            ],
            vec![1],
        )],
    };
    assert_eq!(
        print(&[&widths], &AggOptions::default()),
        " 255 65535       -1               -1                1\n"
    );
}

#[test]
fn ties_break_on_keys_and_negative_keys_sort_last() {
    let agg = Aggregation {
        id: 1,
        func: AggFunc::Count,
        entries: vec![
            entry(vec![Value::i64(-1)], vec![1]),
            entry(vec![Value::i64(7)], vec![1]),
            entry(vec![Value::i64(3)], vec![1]),
            entry(vec![Value::i64(0)], vec![2]),
        ],
    };
    let expected = concat!(
        "                3                1\n",
        "                7                1\n",
        "               -1                1\n",
        "                0                2\n",
    );
    assert_eq!(print(&[&agg], &AggOptions::default()), expected);
}

fn two_keys() -> Aggregation {
    Aggregation {
        id: 1,
        func: AggFunc::Count,
        entries: vec![
            entry(vec![Value::int(2), s("a")], vec![5]),
            entry(vec![Value::int(1), s("b")], vec![9]),
            entry(vec![Value::int(3), s("c")], vec![1]),
        ],
    }
}

fn two_key_row(n: i32, key: &str, value: i64) -> String {
    format!("{n:>9}  {key:<50} {value:>16}\n")
}

#[test]
fn sort_options() {
    let agg = two_keys();
    let by_value = [
        two_key_row(3, "c", 1),
        two_key_row(2, "a", 5),
        two_key_row(1, "b", 9),
    ];
    assert_eq!(print(&[&agg], &AggOptions::default()), by_value.concat());

    let rev = AggOptions {
        sort_rev: true,
        ..AggOptions::default()
    };
    let mut reversed = by_value.clone();
    reversed.reverse();
    assert_eq!(print(&[&agg], &rev), reversed.concat());

    let by_key = AggOptions {
        sort_key: true,
        ..AggOptions::default()
    };
    assert_eq!(
        print(&[&agg], &by_key),
        [
            two_key_row(1, "b", 9),
            two_key_row(2, "a", 5),
            two_key_row(3, "c", 1)
        ]
        .concat()
    );

    let by_second_key = AggOptions {
        sort_key: true,
        sort_key_pos: Some(1),
        ..AggOptions::default()
    };
    assert_eq!(
        print(&[&agg], &by_second_key),
        [
            two_key_row(2, "a", 5),
            two_key_row(1, "b", 9),
            two_key_row(3, "c", 1)
        ]
        .concat()
    );

    // An out-of-range key position falls back to the first key.
    let out_of_range = AggOptions {
        sort_key: true,
        sort_key_pos: Some(5),
        ..AggOptions::default()
    };
    assert_eq!(print(&[&agg], &out_of_range), print(&[&agg], &by_key));
}

#[test]
fn aggregations_print_in_id_order_and_reverse_together() {
    let a = counts(1, &[("x", 1)]);
    let b = counts(2, &[("y", 2)]);
    let expected = string_row("x", 1) + &string_row("y", 2);
    assert_eq!(print(&[&b, &a], &AggOptions::default()), expected);
    let rev = AggOptions {
        sort_rev: true,
        ..AggOptions::default()
    };
    assert_eq!(
        print(&[&a, &b], &rev),
        string_row("y", 2) + &string_row("x", 1)
    );
}

#[test]
fn normalized_values() {
    let mut agg = counts(1, &[("a", 10), ("b", 25)]);
    agg.normalize(5);
    assert_eq!(
        print(&[&agg], &AggOptions::default()),
        string_row("a", 2) + &string_row("b", 5)
    );
    agg.denormalize();
    assert_eq!(
        print(&[&agg], &AggOptions::default()),
        string_row("a", 10) + &string_row("b", 25)
    );
    agg.clear();
    assert_eq!(
        print(&[&agg], &AggOptions::default()),
        string_row("a", 0) + &string_row("b", 0)
    );
}

#[test]
fn truncation() {
    let base = counts(1, &[("a", 5), ("b", 1), ("c", 9), ("d", 5)]);
    let keys = |agg: &Aggregation| -> Vec<u8> {
        sorted_entries(agg, &AggOptions::default())
            .iter()
            .map(|e| match &e.keys[0] {
                Value::Bytes(b) => b[0],
                _ => 0,
            })
            .collect()
    };
    let mut top = base.clone();
    truncate(&mut top, 2);
    assert_eq!(keys(&top), b"dc");
    let mut bottom = base.clone();
    truncate(&mut bottom, -2);
    assert_eq!(keys(&bottom), b"ba");
    let mut none = base.clone();
    truncate(&mut none, 0);
    assert!(none.entries.is_empty());
    let mut all = base.clone();
    truncate(&mut all, 10);
    assert_eq!(all.entries.len(), 4);
}

#[test]
fn quantize_values_with_keys() {
    let f = AggFunc::Quantize;
    let mut data = f.initial();
    f.update(&mut data, 1, 1);
    let agg = Aggregation {
        id: 1,
        func: f,
        entries: vec![entry(vec![s("bash")], data)],
    };
    let expected = format!(
        "  {:<50}{}{}{}{}\n",
        "bash",
        "\n           value  ------------- Distribution ------------- count    \n",
        format_args!("{:>16} |{} {:<9}\n", 0, " ".repeat(40), 0),
        format_args!("{:>16} |{} {:<9}\n", 1, "@".repeat(40), 1),
        format_args!("{:>16} |{} {:<9}\n", 2, " ".repeat(40), 0),
    );
    assert_eq!(print(&[&agg], &AggOptions::default()), expected);
}

#[test]
fn stack_and_symbol_keys() {
    let agg = Aggregation {
        id: 1,
        func: AggFunc::Count,
        entries: vec![
            entry(
                vec![Value::Stack(Stack {
                    pid: None,
                    frames: vec![0x1104, 0x1000],
                })],
                vec![5],
            ),
            entry(vec![Value::KernelSym(0x1000)], vec![7]),
        ],
    };
    let expected = format!(
        "\n              genunix`bar+0x4\n              genunix`foo\n{:>17}\n  {:<50}{:>17}\n",
        5, "genunix`foo", 7
    );
    assert_eq!(print(&[&agg], &AggOptions::default()), expected);
}

#[test]
fn printa_with_format() {
    let agg = counts(1, &[("bash", 3), ("sshd", 1)]);
    assert_eq!(
        printa_fmt("%-10s %@5d\n", &[&agg], &AggOptions::default()),
        "sshd           1\nbash           3\n"
    );
    // Without %@ the value is not printed; keys may be left out.
    assert_eq!(
        printa_fmt("[%s]", &[&agg], &AggOptions::default()),
        "[sshd][bash]"
    );
    assert_eq!(printa_fmt("%@d ", &[&agg], &AggOptions::default()), "1 3 ");
}

fn joined_fixture() -> (Aggregation, Aggregation) {
    let a = counts(1, &[("x", 2), ("y", 5), ("z", 1)]);
    let b = Aggregation {
        id: 2,
        func: AggFunc::Sum,
        entries: vec![entry(vec![s("y")], vec![100]), entry(vec![s("w")], vec![7])],
    };
    (a, b)
}

#[test]
fn joined_printa_fills_missing_values_with_zero() {
    let (a, b) = joined_fixture();
    let row = |k: &str, x: i64, y: i64| format!("  {k:<50} {x:>16} {y:>16}\n");
    let expected = [
        "\n".to_string(),
        row("w", 0, 7),
        row("z", 1, 0),
        row("x", 2, 0),
        row("y", 5, 100),
    ]
    .concat();
    assert_eq!(printa_text(&[&a, &b], &AggOptions::default()), expected);

    // aggsortpos=1 sorts by the second aggregation first.
    let by_second = AggOptions {
        sort_pos: Some(1),
        ..AggOptions::default()
    };
    let expected = [
        "\n".to_string(),
        row("z", 1, 0),
        row("x", 2, 0),
        row("w", 0, 7),
        row("y", 5, 100),
    ]
    .concat();
    assert_eq!(printa_text(&[&a, &b], &by_second), expected);

    // An out-of-range position is ignored.
    let out_of_range = AggOptions {
        sort_pos: Some(7),
        ..AggOptions::default()
    };
    assert_eq!(
        printa_text(&[&a, &b], &out_of_range),
        printa_text(&[&a, &b], &AggOptions::default())
    );

    let by_key = AggOptions {
        sort_key: true,
        ..AggOptions::default()
    };
    let expected = [
        "\n".to_string(),
        row("w", 0, 7),
        row("x", 2, 0),
        row("y", 5, 100),
        row("z", 1, 0),
    ]
    .concat();
    assert_eq!(printa_text(&[&a, &b], &by_key), expected);
}

#[test]
fn joined_printa_with_format() {
    let (a, b) = joined_fixture();
    assert_eq!(
        printa_fmt("%s:%@d:%@d:%@d\n", &[&a, &b], &AggOptions::default()),
        "w:0:7:7\nz:1:0:0\nx:2:0:0\ny:5:100:100\n"
    );
    // The same aggregation twice is allowed.
    assert_eq!(
        printa_fmt("%s %@d %@d\n", &[&a, &a], &AggOptions::default()),
        "z 1 1\nx 2 2\ny 5 5\n"
    );
}

#[test]
fn agghist_draws_bars() {
    let agg = counts(1, &[("a", 1), ("b", 3)]);
    let options = AggOptions {
        hist: true,
        ..AggOptions::default()
    };
    let expected = format!(
        "\n{:>17} {:>41} {:<9}\n{:>17} |{}{} {:<9}\n{:>17} |{}{} {:<9}\n",
        "key",
        "------------- Distribution -------------",
        "count",
        "a",
        "@".repeat(10),
        " ".repeat(30),
        1,
        "b",
        "@".repeat(30),
        " ".repeat(10),
        3
    );
    assert_eq!(print(&[&agg], &options), expected);
    // Keyless: the header says "value" in 16 columns.
    let keyless = Aggregation {
        id: 1,
        func: AggFunc::Sum,
        entries: vec![entry(vec![], vec![4])],
    };
    let expected = format!(
        "\n{:>16} {:>41} {:<9}\n |{} {:<9}\n",
        "value",
        "------------- Distribution -------------",
        "count",
        "@".repeat(40),
        4
    );
    assert_eq!(print(&[&keyless], &options), expected);
}

#[test]
fn aggpack_quantize_rows() {
    let f = AggFunc::Quantize;
    let mut a = f.initial();
    let mut b = f.initial();
    for v in [1, 2, 2, 3, 8] {
        f.update(&mut a, v, 1);
    }
    f.update(&mut b, 4, 7);
    assert_eq!(quantize_bucket(8), 67);
    let agg = Aggregation {
        id: 1,
        func: f,
        entries: vec![entry(vec![s("a")], a), entry(vec![s("b")], b)],
    };
    let options = AggOptions {
        pack: true,
        ..AggOptions::default()
    };
    // Buckets 64..=67 have data, so 63..=68 (0..16) are shown: 6 columns.
    let header = format!(
        "\n{:>17} {:>4} .------. {:<4} | count\n",
        "key", "min", "max"
    );
    let row_a = format!("{:>17}    0 : _x _ : 16   | 5\n", "a");
    let row_b = format!("{:>17}    0 :   X  : 16   | 7\n", "b");
    let expected = header + &row_a + &row_b;
    assert_eq!(print(&[&agg], &options), expected);
}

#[test]
fn aggpack_lquantize_rows() {
    let params = Lquantize::new(0, 3, 1).unwrap();
    let f = AggFunc::Lquantize(params);
    let mut data = f.initial();
    for v in [-1, 0, 0, 0, 5] {
        f.update(&mut data, v, 1);
    }
    let agg = Aggregation {
        id: 1,
        func: f,
        entries: vec![entry(vec![], data)],
    };
    let options = AggOptions {
        pack: true,
        ..AggOptions::default()
    };
    let expected = format!(
        "\n {:>7} .-----. {:<8} | count\n{:>8} :_x  _: {:<8} | 5\n",
        "min", "max", "< 0", ">= 3"
    );
    assert_eq!(print(&[&agg], &options), expected);
}

#[test]
fn llquantize_in_aggregation_and_printa_percent_at() {
    let params = crate::aggfunc::Llquantize::new(10, 0, 1, 10).unwrap();
    let f = AggFunc::Llquantize(params);
    let mut data = f.initial();
    f.update(&mut data, 3, 1);
    let agg = Aggregation {
        id: 1,
        func: f,
        entries: vec![entry(vec![], data)],
    };
    let text = print(&[&agg], &AggOptions::default());
    assert!(
        text.starts_with(
            "\n           value  ------------- Distribution ------------- count    \n"
        )
    );
    assert!(text.ends_with(&format!("{:>16} |{} 0        \n\n", 4, " ".repeat(40))));
    let formatted = printa_fmt("%@d", &[&agg], &AggOptions::default());
    assert_eq!(format!("{formatted}\n"), text);
}
