//! Decoded record values: what a traced datum, a printf argument or an aggregation key is.
//!
//! DTrace decides how to print a datum from two things only: the record's *size* and the
//! *action* that produced it. A [`Value`] carries exactly that information:
//!
//! * integers keep their raw bits and their record size (1, 2, 4 or 8 bytes) and whether the
//!   D type was signed (`%d` prints a signed type with `%i`, an unsigned one with `%u`);
//! * strings, character arrays and any other memory are the raw record bytes ([`Value::Bytes`]):
//!   a D string is its bytes followed by a NUL (and whatever padding the record has);
//! * stacks and symbolic addresses (`sym()`, `mod()`, `usym()`, `uaddr()`, `umod()`) keep the
//!   addresses, to be resolved only when printed.

use std::cmp::Ordering;

/// A stack captured by `stack()`, `ustack()` or `jstack()`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Stack {
    /// `Some(pid)` for a user stack, `None` for a kernel stack.
    pub pid: Option<u64>,
    /// Program counters, innermost first. A zero program counter ends the stack.
    pub frames: Vec<u64>,
}

/// One decoded datum.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An integer (or pointer) record. Only the low `size` bytes of `bits` are meaningful.
    Int {
        /// Raw bits, little-endian order of the record.
        bits: u64,
        /// Record size in bytes: 1, 2, 4 or 8.
        size: u8,
        /// Whether the D type of the expression is signed.
        signed: bool,
    },
    /// A floating-point record (`float`, `double`, `long double` from kernel types).
    Float {
        /// The value.
        value: f64,
        /// Record size in bytes: 4, 8 or 16.
        size: u8,
    },
    /// Raw record bytes: strings (NUL-terminated inside the record), arrays, structs.
    Bytes(Vec<u8>),
    /// `stack()`, `ustack()`, `jstack()`.
    Stack(Stack),
    /// `sym()` / `func()`: a kernel address printed as its symbol.
    KernelSym(u64),
    /// `mod()`: a kernel address printed as its module.
    KernelMod(u64),
    /// `usym()` / `ufunc()`: a user address printed as its symbol.
    UserSym {
        /// Process the address belongs to.
        pid: u64,
        /// The address.
        addr: u64,
    },
    /// `uaddr()`: a user address printed as symbol plus offset.
    UserAddr {
        /// Process the address belongs to.
        pid: u64,
        /// The address.
        addr: u64,
    },
    /// `umod()`: a user address printed as its module.
    UserMod {
        /// Process the address belongs to.
        pid: u64,
        /// The address.
        addr: u64,
    },
}

fn mask(bits: u64, size: u8) -> u64 {
    match size {
        1 => bits & 0xff,
        2 => bits & 0xffff,
        4 => bits & 0xffff_ffff,
        _ => bits,
    }
}

impl Value {
    /// A signed integer of `size` bytes.
    pub fn signed(value: i64, size: u8) -> Value {
        Value::Int {
            bits: mask(value as u64, size),
            size,
            signed: true,
        }
    }

    /// An unsigned integer of `size` bytes.
    pub fn unsigned(value: u64, size: u8) -> Value {
        Value::Int {
            bits: mask(value, size),
            size,
            signed: false,
        }
    }

    /// A D `int` (4 bytes, signed).
    pub fn int(value: i32) -> Value {
        Value::signed(i64::from(value), 4)
    }

    /// A D `int64_t` (8 bytes, signed).
    pub fn i64(value: i64) -> Value {
        Value::signed(value, 8)
    }

    /// A D `uint64_t` (8 bytes, unsigned).
    pub fn u64(value: u64) -> Value {
        Value::unsigned(value, 8)
    }

    /// A D string record holding `text`: its bytes followed by a NUL.
    pub fn string(text: impl AsRef<[u8]>) -> Value {
        let mut bytes = text.as_ref().to_vec();
        bytes.push(0);
        Value::Bytes(bytes)
    }

    /// The record size DTrace would have given this value (what `trace()` switches on).
    pub fn record_size(&self) -> usize {
        match self {
            Value::Int { size, .. } | Value::Float { size, .. } => usize::from(*size),
            Value::Bytes(bytes) => bytes.len(),
            Value::Stack(stack) => (stack.frames.len() + usize::from(stack.pid.is_some())) * 8,
            Value::KernelSym(_) | Value::KernelMod(_) => 8,
            Value::UserSym { .. } | Value::UserAddr { .. } | Value::UserMod { .. } => 16,
        }
    }

    /// The value read the way DTrace reads a record of 1, 2, 4 or 8 bytes: zero-extended.
    /// `None` for records of any other size.
    pub(crate) fn raw_integer(&self) -> Option<(u64, usize)> {
        match self {
            Value::Int { bits, size, .. } => Some((mask(*bits, *size), usize::from(*size))),
            Value::Float { value, size: 4 } => Some((u64::from((*value as f32).to_bits()), 4)),
            Value::Float { value, size: 8 } => Some((value.to_bits(), 8)),
            Value::Bytes(bytes) => {
                let size = bytes.len();
                if ![1, 2, 4, 8].contains(&size) {
                    return None;
                }
                let mut word = [0u8; 8];
                word.get_mut(..size)?.copy_from_slice(bytes);
                Some((u64::from_le_bytes(word), size))
            }
            Value::KernelSym(addr) | Value::KernelMod(addr) => Some((*addr, 8)),
            _ => None,
        }
    }

    /// The record bytes in the order DTrace compares keys (little-endian integers, pid first
    /// for user addresses and user stacks).
    fn record_bytes(&self) -> Vec<u8> {
        match self {
            Value::Int { .. } | Value::Float { .. } | Value::KernelSym(_) | Value::KernelMod(_) => {
                match self.raw_integer() {
                    Some((bits, size)) => bits.to_le_bytes().get(..size).unwrap_or(&[]).to_vec(),
                    None => Vec::new(),
                }
            }
            Value::Bytes(bytes) => bytes.clone(),
            Value::Stack(stack) => {
                let mut bytes = Vec::new();
                if let Some(pid) = stack.pid {
                    bytes.extend_from_slice(&pid.to_le_bytes());
                }
                for pc in &stack.frames {
                    bytes.extend_from_slice(&pc.to_le_bytes());
                }
                bytes
            }
            Value::UserSym { pid, addr }
            | Value::UserAddr { pid, addr }
            | Value::UserMod { pid, addr } => {
                let mut bytes = pid.to_le_bytes().to_vec();
                bytes.extend_from_slice(&addr.to_le_bytes());
                bytes
            }
        }
    }

    /// Orders two key values the way DTrace orders aggregation keys (`dt_aggregate_keycmp`):
    /// by record size first, then integers of 1, 2, 4 and 8 bytes as *unsigned* numbers (so
    /// negative keys sort after positive ones), user addresses by pid then address, and
    /// everything else byte by byte (strings compare as zero-padded byte strings).
    pub fn key_cmp(&self, other: &Value) -> Ordering {
        let (lsize, rsize) = (self.record_size(), other.record_size());
        if lsize != rsize {
            // Stacks of different lengths come from the same record size; compare them as
            // zero-padded records instead.
            if !matches!((self, other), (Value::Stack(_), Value::Stack(_))) {
                return lsize.cmp(&rsize);
            }
        }
        if let (Some((l, _)), Some((r, _))) = (self.raw_integer(), other.raw_integer()) {
            return l.cmp(&r);
        }
        match (self, other) {
            (
                Value::UserSym { pid: lp, addr: la }
                | Value::UserAddr { pid: lp, addr: la }
                | Value::UserMod { pid: lp, addr: la },
                Value::UserSym { pid: rp, addr: ra }
                | Value::UserAddr { pid: rp, addr: ra }
                | Value::UserMod { pid: rp, addr: ra },
            ) => (lp, la).cmp(&(rp, ra)),
            _ => {
                let (l, r) = (self.record_bytes(), other.record_bytes());
                let len = l.len().max(r.len());
                let pad = |bytes: &[u8], i: usize| bytes.get(i).copied().unwrap_or(0);
                (0..len)
                    .map(|i| pad(&l, i).cmp(&pad(&r, i)))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            }
        }
    }

    /// The bytes of a string record up to (not including) the first NUL.
    pub(crate) fn c_string(bytes: &[u8]) -> &[u8] {
        match bytes.iter().position(|&b| b == 0) {
            Some(end) => bytes.get(..end).unwrap_or(bytes),
            None => bytes,
        }
    }
}

/// Sign-extends the low `size` bytes of `bits`.
pub(crate) fn sign_extend(bits: u64, size: usize) -> i64 {
    match size {
        1 => i64::from(bits as u8 as i8),
        2 => i64::from(bits as u16 as i16),
        4 => i64::from(bits as u32 as i32),
        _ => bits as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_compare_unsigned() {
        assert_eq!(Value::i64(-1).key_cmp(&Value::i64(5)), Ordering::Greater);
        assert_eq!(Value::int(3).key_cmp(&Value::int(4)), Ordering::Less);
        assert_eq!(Value::int(3).key_cmp(&Value::i64(2)), Ordering::Less);
    }

    #[test]
    fn string_keys_compare_as_padded_bytes() {
        let pad = |s: &str| {
            let mut b = s.as_bytes().to_vec();
            b.resize(16, 0);
            Value::Bytes(b)
        };
        assert_eq!(pad("ab").key_cmp(&pad("abc")), Ordering::Less);
        assert_eq!(pad("b").key_cmp(&pad("abc")), Ordering::Greater);
        assert_eq!(pad("x").key_cmp(&pad("x")), Ordering::Equal);
    }

    #[test]
    fn masks_to_size() {
        assert_eq!(
            Value::signed(-1, 1),
            Value::Int {
                bits: 0xff,
                size: 1,
                signed: true
            }
        );
        assert_eq!(sign_extend(0xff, 1), -1);
        assert_eq!(sign_extend(0xffff_ffff, 4), -1);
    }
}
