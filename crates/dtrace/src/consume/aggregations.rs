//! Aggregations as the consumer sees them: kernel maps read on demand,
//! merged across CPUs, and the library actions (`clear()`, `trunc()`,
//! `normalize()`, `denormalize()`) applied on top.
//!
//! # Reading
//!
//! Probes keep each aggregation in a per-CPU map whose values are
//! `[n, data...]` (see the compiler's aggregation code generator): `n`
//! counts one CPU's updates, and a copy with `n == 0` holds nothing. A
//! snapshot reads the map, converts every CPU's copy to the output crate's
//! layout (`dtrace_output::aggfunc`) and merges them. Snapshots are taken
//! whenever a record needs one (`printa()`, the library actions, the
//! listing at exit), so what is printed is always current.
//!
//! # The library actions
//!
//! DTrace applies these to the consumer's copy of the data, never to the
//! kernel's; the kernel only ever adds. This consumer keeps the same
//! division without rewriting what probes may be updating at that moment:
//!
//! * `clear()` of an additive function (everything but `min`/`max`)
//!   remembers each key's current totals as an *offset*; later snapshots
//!   subtract it. The key stays and prints zero until it counts again, and
//!   no update racing with the clear is lost.
//! * `clear()` of `min()`/`max()` cannot be undone by subtraction, so the
//!   kernel's entry is removed and the key is marked *cleared*: it prints
//!   as DTrace's zeroed value, a present 0, merged with whatever the kernel
//!   gathers afterwards (so `min()` of positive values stays 0, as in
//!   DTrace).
//! * `trunc()` removes the dropped keys from the kernel map (freeing their
//!   space) together with anything remembered about them; a key updated
//!   again comes back with only the new data.
//! * `normalize()` and `denormalize()` set the factor of the keys present
//!   at that moment; keys created later start at 1, as in DTrace.

use crate::options::Options;
use dtrace_compiler::codegen::output_func;
use dtrace_compiler::object::{AggDesc, Object, ValueKind};
use dtrace_compiler::tir::AggId;
use dtrace_kernel::{Map, UpdateMode};
use dtrace_output::aggregate::{self, AggEntry, AggOptions, Aggregation};
use dtrace_output::quantize::packed_uses_utf8;
use dtrace_output::{AggFunc, HistogramStyle, Value};
use std::collections::{HashMap, HashSet};

/// A raw key with each CPU's `[n, data...]` words.
pub type RawEntry = (Vec<u8>, Vec<Vec<i64>>);

/// Access to the per-CPU aggregation maps.
pub trait AggMaps {
    /// Every key of aggregation `index` with its per-CPU values.
    fn entries(&self, index: usize) -> Vec<RawEntry>;
    /// Forgets `key`: deleted from a hash map, zeroed in the one-element
    /// array of an unkeyed aggregation.
    fn remove(&self, index: usize, key: &[u8]);
}

/// The kernel's aggregation maps, by aggregation index.
pub struct KernelAggs<'a> {
    maps: Vec<Option<(&'a Map, bool)>>,
}

impl<'a> KernelAggs<'a> {
    pub fn new(object: &Object, maps: &'a [Map]) -> KernelAggs<'a> {
        KernelAggs {
            maps: object
                .aggs
                .iter()
                .map(|a| maps.get(a.map).map(|m| (m, a.has_flag)))
                .collect(),
        }
    }
}

fn words_of(bytes: &[u8]) -> Vec<i64> {
    bytes
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect()
}

impl AggMaps for KernelAggs<'_> {
    fn entries(&self, index: usize) -> Vec<RawEntry> {
        let Some(Some((map, unkeyed))) = self.maps.get(index) else {
            return Vec::new();
        };
        let per_cpu = |value: &[u8]| -> Vec<Vec<i64>> {
            dtrace_kernel::map::split_percpu(value, map.value_size())
                .map(words_of)
                .collect()
        };
        if *unkeyed {
            let key = 0u32.to_le_bytes();
            let mut value = vec![0u8; map.value_len()];
            return match map.lookup(&key, &mut value) {
                Ok(true) => vec![(key.to_vec(), per_cpu(&value))],
                _ => Vec::new(),
            };
        }
        match map.entries() {
            Ok(entries) => entries
                .iter()
                .map(|(k, v)| (k.to_vec(), per_cpu(v)))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    fn remove(&self, index: usize, key: &[u8]) {
        let Some(Some((map, unkeyed))) = self.maps.get(index) else {
            return;
        };
        if *unkeyed {
            let zero = vec![0u8; map.value_len()];
            let _ = map.update(key, &zero, UpdateMode::Any);
        } else {
            let _ = map.delete(key);
        }
    }
}

/// One CPU's `[n, data...]` in the output crate's layout, or `None` if
/// that CPU never updated the value.
fn convert(f: &AggFunc, raw: &[i64]) -> Option<Vec<i64>> {
    let n = *raw.first()?;
    if n == 0 {
        return None;
    }
    let word = |i: usize| raw.get(i).copied().unwrap_or(0);
    let mut v = match f {
        AggFunc::Count => vec![n],
        AggFunc::Sum => vec![word(1)],
        AggFunc::Min | AggFunc::Max => vec![word(1), n],
        AggFunc::Avg => vec![n, word(1)],
        AggFunc::Stddev => vec![n, word(1), word(2), word(3)],
        AggFunc::Quantize | AggFunc::Lquantize(_) | AggFunc::Llquantize(_) => {
            raw.get(1..).unwrap_or(&[]).to_vec()
        }
    };
    v.resize(f.words(), 0);
    Some(v)
}

/// The CPUs' copies merged, or `None` if no CPU holds data.
fn merge_cpus(f: &AggFunc, cpus: &[Vec<i64>]) -> Option<Vec<i64>> {
    let mut total: Option<Vec<i64>> = None;
    for v in cpus.iter().filter_map(|raw| convert(f, raw)) {
        match &mut total {
            None => total = Some(v),
            Some(t) => f.merge(t, &v),
        }
    }
    total
}

/// `into -= offset` for an additive function's value (the sum of squares
/// of `stddev()` as one 128-bit number).
fn subtract(f: &AggFunc, into: &mut [i64], offset: &[i64]) {
    if *f == AggFunc::Stddev && into.len() >= 4 && offset.len() >= 4 {
        let wide = |d: &[i64]| (u128::from(d[3] as u64) << 64) | u128::from(d[2] as u64);
        let sumsq = wide(into).wrapping_sub(wide(offset));
        into[0] = into[0].wrapping_sub(offset[0]);
        into[1] = into[1].wrapping_sub(offset[1]);
        into[2] = sumsq as u64 as i64;
        into[3] = (sumsq >> 64) as u64 as i64;
        return;
    }
    for (a, b) in into.iter_mut().zip(offset) {
        *a = a.wrapping_sub(*b);
    }
}

/// What the consumer remembers about one key.
#[derive(Clone, Debug, Default, PartialEq)]
struct KeyState {
    /// Kernel totals at the last `clear()`, subtracted from later reads.
    offset: Option<Vec<i64>>,
    /// `min()`/`max()` cleared: a present zero under the kernel's data.
    cleared: bool,
    /// `normalize()` factor; 0 stands for 1.
    normal: u64,
}

/// A snapshot of one aggregation with the raw key of each entry.
pub struct Snapshot {
    pub agg: Aggregation,
    pub raw_keys: Vec<Vec<u8>>,
}

/// The consumer's view of every aggregation of the program.
pub struct AggStore<M> {
    maps: M,
    descs: Vec<AggDesc>,
    funcs: Vec<Option<AggFunc>>,
    keys: Vec<HashMap<Vec<u8>, KeyState>>,
    /// Aggregations `printa()` printed, left out of the listing at exit.
    printed: HashSet<u32>,
}

impl<M: AggMaps> AggStore<M> {
    pub fn new(descs: &[AggDesc], maps: M) -> AggStore<M> {
        AggStore {
            maps,
            descs: descs.to_vec(),
            funcs: descs.iter().map(|d| output_func(d.func)).collect(),
            keys: descs.iter().map(|_| HashMap::new()).collect(),
            printed: HashSet::new(),
        }
    }

    fn decode_key(desc: &AggDesc, raw: &[u8]) -> Vec<Value> {
        let read_u64 = |off: usize| {
            raw.get(off..off + 8)
                .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        };
        desc.keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let start = k.offset as usize;
                match k.kind {
                    ValueKind::Str => {
                        let end = desc
                            .keys
                            .get(i + 1)
                            .map_or(raw.len(), |n| n.offset as usize);
                        Value::Bytes(raw.get(start..end).unwrap_or(&[]).to_vec())
                    }
                    ValueKind::Int { size, signed } => Value::Int {
                        bits: read_u64(start),
                        size,
                        signed,
                    },
                    ValueKind::Ptr => Value::Int {
                        bits: read_u64(start),
                        size: 8,
                        signed: false,
                    },
                }
            })
            .collect()
    }

    /// The current contents of aggregation `id`.
    pub fn snapshot(&self, id: AggId) -> Snapshot {
        let index = id.0 as usize;
        let mut snap = Snapshot {
            agg: Aggregation {
                id: id.0 + 1,
                func: AggFunc::Count,
                entries: Vec::new(),
            },
            raw_keys: Vec::new(),
        };
        let (Some(desc), Some(Some(func)), Some(states)) = (
            self.descs.get(index),
            self.funcs.get(index),
            self.keys.get(index),
        ) else {
            return snap;
        };
        snap.agg.func = *func;
        let push = |snap: &mut Snapshot, raw: &[u8], data: Vec<i64>, normal: u64| {
            let mut entry = AggEntry::new(Self::decode_key(desc, raw), data);
            entry.normal = normal.max(1);
            snap.agg.entries.push(entry);
            snap.raw_keys.push(raw.to_vec());
        };
        let mut seen = HashSet::new();
        for (raw, cpus) in self.maps.entries(index) {
            let kernel = merge_cpus(func, &cpus);
            let state = states.get(&raw);
            let data = match state {
                Some(s) if s.cleared => {
                    let mut zero = func.initial();
                    func.update(&mut zero, 0, 1);
                    if let Some(k) = kernel {
                        func.merge(&mut zero, &k);
                    }
                    Some(zero)
                }
                Some(KeyState {
                    offset: Some(offset),
                    ..
                }) => {
                    let mut d = kernel.unwrap_or_else(|| func.initial());
                    subtract(func, &mut d, offset);
                    Some(d)
                }
                _ => kernel,
            };
            if let Some(data) = data {
                push(&mut snap, &raw, data, state.map_or(1, |s| s.normal));
                seen.insert(raw);
            }
        }
        // Cleared min()/max() keys the kernel no longer holds.
        for (raw, state) in states {
            if state.cleared && !seen.contains(raw) {
                let mut zero = func.initial();
                func.update(&mut zero, 0, 1);
                push(&mut snap, raw, zero, state.normal);
            }
        }
        snap
    }

    /// `clear(@a)`: every value becomes zero; the keys stay.
    pub fn clear(&mut self, id: AggId) {
        let index = id.0 as usize;
        let Some(Some(func)) = self.funcs.get(index).copied() else {
            return;
        };
        let entries = self.maps.entries(index);
        let Some(states) = self.keys.get_mut(index) else {
            return;
        };
        for (raw, cpus) in entries {
            let Some(kernel) = merge_cpus(&func, &cpus) else {
                continue;
            };
            let state = states.entry(raw.clone()).or_default();
            if matches!(func, AggFunc::Min | AggFunc::Max) {
                self.maps.remove(index, &raw);
                state.cleared = true;
            } else {
                state.offset = Some(kernel);
            }
        }
    }

    /// `trunc(@a, n)`: keeps the `n` largest entries (the `-n` smallest for
    /// negative `n`, none for 0).
    pub fn trunc(&mut self, id: AggId, n: i64) {
        let index = id.0 as usize;
        let snap = self.snapshot(id);
        let mut kept = snap.agg.clone();
        aggregate::truncate(&mut kept, n);
        // `truncate` keeps the surviving entries in their order.
        let mut survivors = kept.entries.iter().peekable();
        for (entry, raw) in snap.agg.entries.iter().zip(&snap.raw_keys) {
            if survivors.peek() == Some(&entry) {
                survivors.next();
                continue;
            }
            self.maps.remove(index, raw);
            if let Some(states) = self.keys.get_mut(index) {
                states.remove(raw);
            }
        }
    }

    /// `normalize(@a, n)` (and `denormalize(@a)` with `n` = 1) for the
    /// keys present now.
    pub fn normalize(&mut self, id: AggId, n: u64) {
        let snap = self.snapshot(id);
        let Some(states) = self.keys.get_mut(id.0 as usize) else {
            return;
        };
        for raw in snap.raw_keys {
            states.entry(raw).or_default().normal = n;
        }
    }

    /// Snapshots of the aggregations `printa()` lists; they count as
    /// printed once a row of them is (as in DTrace, an empty one does not).
    pub fn for_printa(&mut self, ids: &[AggId]) -> Vec<Aggregation> {
        let snaps: Vec<Aggregation> = ids.iter().map(|&id| self.snapshot(id).agg).collect();
        if snaps.iter().any(|a| !a.entries.is_empty()) {
            self.printed.extend(ids.iter().map(|id| id.0));
        }
        snaps
    }

    /// Snapshots of every aggregation no `printa()` has printed.
    pub fn unprinted(&self) -> Vec<Aggregation> {
        (0..self.descs.len() as u32)
            .filter(|id| !self.printed.contains(id))
            .map(|id| self.snapshot(AggId(id)).agg)
            .collect()
    }
}

/// The printing options of the `-x agg*` family, as they stand now.
pub fn agg_options(o: &Options) -> AggOptions {
    let term = std::env::var("TERM").ok();
    AggOptions {
        sort_key: o.aggsortkey,
        sort_key_pos: (o.aggsortkeypos != 0).then_some(u64::from(o.aggsortkeypos)),
        sort_pos: (o.aggsortpos != 0).then_some(u64::from(o.aggsortpos)),
        sort_rev: o.aggsortrev,
        hist: o.agghist,
        pack: o.aggpack,
        style: HistogramStyle {
            zoom: o.aggzoom,
            utf8: false,
            packed_utf8: packed_uses_utf8(None, term.as_deref()),
        },
        raw_bytes: o.rawbytes,
        stack_indent: o.stackindent as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dtrace_compiler::object::DataItem;
    use dtrace_compiler::tir::AggFunc as TAggFunc;
    use dtrace_compiler::types::TypeId;
    use std::cell::RefCell;

    /// Per-CPU maps in memory: key → each CPU's `[n, data...]`.
    #[derive(Default)]
    struct FakeMaps {
        maps: RefCell<Vec<Vec<RawEntry>>>,
        unkeyed: Vec<bool>,
    }

    impl FakeMaps {
        fn put(&self, index: usize, key: &[u8], cpus: Vec<Vec<i64>>) {
            let mut maps = self.maps.borrow_mut();
            let map = &mut maps[index];
            match map.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = cpus,
                None => map.push((key.to_vec(), cpus)),
            }
        }
    }

    impl AggMaps for FakeMaps {
        fn entries(&self, index: usize) -> Vec<RawEntry> {
            self.maps.borrow()[index].clone()
        }

        fn remove(&self, index: usize, key: &[u8]) {
            let mut maps = self.maps.borrow_mut();
            if self.unkeyed[index] {
                for (k, cpus) in maps[index].iter_mut() {
                    if k == key {
                        cpus.iter_mut()
                            .for_each(|c| c.iter_mut().for_each(|w| *w = 0));
                    }
                }
            } else {
                maps[index].retain(|(k, _)| k != key);
            }
        }
    }

    fn desc(func: TAggFunc, keyed: bool) -> AggDesc {
        AggDesc {
            name: "a".into(),
            func,
            keys: if keyed {
                vec![DataItem {
                    offset: 0,
                    kind: ValueKind::Int {
                        size: 8,
                        signed: true,
                    },
                    ty: TypeId(0),
                }]
            } else {
                Vec::new()
            },
            key_size: if keyed { 8 } else { 0 },
            value_size: 0,
            map: 0,
            has_flag: !keyed,
        }
    }

    fn store(func: TAggFunc, keyed: bool) -> AggStore<FakeMaps> {
        let maps = FakeMaps {
            maps: RefCell::new(vec![Vec::new()]),
            unkeyed: vec![!keyed],
        };
        AggStore::new(&[desc(func, keyed)], maps)
    }

    fn key(k: i64) -> Vec<u8> {
        k.to_le_bytes().to_vec()
    }

    /// `(key, data, normal)` of every entry, sorted by key.
    fn rows(s: &AggStore<FakeMaps>) -> Vec<(i64, Vec<i64>, u64)> {
        let snap = s.snapshot(AggId(0));
        let mut out: Vec<(i64, Vec<i64>, u64)> = snap
            .raw_keys
            .iter()
            .zip(&snap.agg.entries)
            .map(|(raw, e)| {
                let k = i64::from_le_bytes(
                    raw.get(..8)
                        .and_then(|b| b.try_into().ok())
                        .unwrap_or([0; 8]),
                );
                (k, e.data.clone(), e.normal)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn cpus_merge_and_untouched_copies_are_skipped() {
        let s = store(TAggFunc::Min, true);
        s.maps
            .put(0, &key(1), vec![vec![2, 7], vec![0, 0], vec![1, -3]]);
        s.maps.put(0, &key(2), vec![vec![0, 0], vec![0, 0]]);
        assert_eq!(rows(&s), vec![(1, vec![-3, 3], 1)]);
        let s = store(TAggFunc::Stddev, true);
        s.maps
            .put(0, &key(1), vec![vec![2, 6, 20, 0], vec![1, 4, 16, 0]]);
        assert_eq!(rows(&s), vec![(1, vec![3, 10, 36, 0], 1)]);
    }

    #[test]
    fn clear_keeps_keys_and_counts_from_zero() {
        let mut s = store(TAggFunc::Count, true);
        s.maps.put(0, &key(1), vec![vec![5], vec![2]]);
        s.maps.put(0, &key(2), vec![vec![1], vec![0]]);
        s.clear(AggId(0));
        assert_eq!(rows(&s), vec![(1, vec![0], 1), (2, vec![0], 1)]);
        s.maps.put(0, &key(1), vec![vec![6], vec![2]]);
        s.maps.put(0, &key(3), vec![vec![0], vec![4]]);
        assert_eq!(
            rows(&s),
            vec![(1, vec![1], 1), (2, vec![0], 1), (3, vec![4], 1)]
        );
    }

    #[test]
    fn clear_of_stddev_subtracts_the_wide_sum_of_squares() {
        let mut s = store(TAggFunc::Stddev, false);
        s.maps.put(0, &[0; 4], vec![vec![1, 5, -1, 0]]);
        s.clear(AggId(0));
        s.maps.put(0, &[0; 4], vec![vec![2, 8, 8, 1]]);
        assert_eq!(rows(&s)[0].1, vec![1, 3, 9, 0]);
    }

    #[test]
    fn cleared_min_is_a_present_zero() {
        let mut s = store(TAggFunc::Min, true);
        s.maps.put(0, &key(1), vec![vec![1, 5]]);
        s.clear(AggId(0));
        // The kernel entry is gone; the key prints zero.
        assert!(s.maps.entries(0).is_empty());
        assert_eq!(rows(&s), vec![(1, vec![0, 1], 1)]);
        // Positive values do not go below the cleared zero; negative ones do.
        s.maps.put(0, &key(1), vec![vec![1, 9]]);
        assert_eq!(rows(&s)[0].1[0], 0);
        s.maps.put(0, &key(1), vec![vec![2, -4]]);
        assert_eq!(rows(&s)[0].1[0], -4);
        let mut s = store(TAggFunc::Max, false);
        s.maps.put(0, &[0; 4], vec![vec![1, -5]]);
        s.clear(AggId(0));
        assert_eq!(rows(&s)[0].1, vec![0, 1]);
    }

    #[test]
    fn trunc_keeps_the_top_or_bottom_and_forgets_the_rest() {
        let mut s = store(TAggFunc::Sum, true);
        for (k, v) in [(1, 10), (2, 30), (3, 20), (4, 40)] {
            s.maps.put(0, &key(k), vec![vec![1, v]]);
        }
        s.clear(AggId(0));
        for (k, v) in [(1, 11), (2, 33), (3, 22), (4, 44)] {
            s.maps.put(0, &key(k), vec![vec![2, v]]);
        }
        s.trunc(AggId(0), 2);
        assert_eq!(rows(&s), vec![(2, vec![3], 1), (4, vec![4], 1)]);
        // A truncated key that counts again starts from its new data only.
        s.maps.put(0, &key(1), vec![vec![1, 7]]);
        assert_eq!(rows(&s)[0], (1, vec![7], 1));
        s.trunc(AggId(0), -1);
        assert_eq!(rows(&s), vec![(2, vec![3], 1)]);
        s.trunc(AggId(0), 0);
        assert!(rows(&s).is_empty());
    }

    #[test]
    fn trunc_of_an_unkeyed_aggregation_empties_it() {
        let mut s = store(TAggFunc::Count, false);
        s.maps.put(0, &[0; 4], vec![vec![3]]);
        s.trunc(AggId(0), 0);
        assert!(rows(&s).is_empty());
    }

    #[test]
    fn normalize_applies_to_the_keys_present() {
        let mut s = store(TAggFunc::Count, true);
        s.maps.put(0, &key(1), vec![vec![5]]);
        s.normalize(AggId(0), 10);
        s.maps.put(0, &key(2), vec![vec![5]]);
        assert_eq!(rows(&s), vec![(1, vec![5], 10), (2, vec![5], 1)]);
        s.normalize(AggId(0), 1);
        assert_eq!(rows(&s), vec![(1, vec![5], 1), (2, vec![5], 1)]);
    }

    #[test]
    fn printed_only_once_a_row_was_printed() {
        let mut s = store(TAggFunc::Count, true);
        assert_eq!(s.for_printa(&[AggId(0)]).len(), 1);
        assert_eq!(s.unprinted().len(), 1);
        s.maps.put(0, &key(1), vec![vec![1]]);
        s.for_printa(&[AggId(0)]);
        assert!(s.unprinted().is_empty());
    }

    #[test]
    fn histograms_keep_their_buckets() {
        let s = store(
            TAggFunc::Lquantize {
                base: 0,
                step: 10,
                levels: 2,
            },
            false,
        );
        s.maps
            .put(0, &[0; 4], vec![vec![3, 1, 2, 0, 0], vec![1, 0, 0, 0, 1]]);
        assert_eq!(rows(&s)[0].1, vec![1, 2, 0, 1]);
    }
}
