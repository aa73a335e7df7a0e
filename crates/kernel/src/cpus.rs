//! CPU sets from `/sys/devices/system/cpu/{possible,online}`.
//!
//! Per-CPU map values are laid out by *possible* CPU: the kernel copies one slot per possible CPU,
//! in ascending CPU-id order, so slot `i` belongs to `possible_cpus()[i]` (usually CPU `i`).
//! Perf events can only be opened on *online* CPUs.

use std::io;
use std::sync::OnceLock;

/// The CPUs this kernel could ever bring online.
pub fn possible_cpus() -> io::Result<Vec<u32>> {
    read_cpu_list("/sys/devices/system/cpu/possible")
}

/// The CPUs online now.
pub fn online_cpus() -> io::Result<Vec<u32>> {
    read_cpu_list("/sys/devices/system/cpu/online")
}

/// The number of possible CPUs: the number of slots in a per-CPU map value. Read once.
pub fn possible_cpu_count() -> io::Result<usize> {
    static COUNT: OnceLock<usize> = OnceLock::new();
    if let Some(&count) = COUNT.get() {
        return Ok(count);
    }
    let count = possible_cpus()?.len();
    if count == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no possible CPUs listed",
        ));
    }
    Ok(*COUNT.get_or_init(|| count))
}

fn read_cpu_list(path: &str) -> io::Result<Vec<u32>> {
    let text = std::fs::read_to_string(path)?;
    parse_cpu_list(&text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("cannot parse CPU list in {path}"),
        )
    })
}

/// Parses a kernel CPU list such as `0-3,5,8-9` (with optional trailing newline).
pub fn parse_cpu_list(text: &str) -> Option<Vec<u32>> {
    let text = text.trim();
    let mut cpus = Vec::new();
    if text.is_empty() {
        return Some(cpus);
    }
    for part in text.split(',') {
        let part = part.trim();
        match part.split_once('-') {
            Some((first, last)) => {
                let (first, last): (u32, u32) = (first.parse().ok()?, last.parse().ok()?);
                if last < first {
                    return None;
                }
                cpus.extend(first..=last);
            }
            None => cpus.push(part.parse().ok()?),
        }
    }
    Some(cpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_singletons() {
        assert_eq!(parse_cpu_list("0-1\n"), Some(vec![0, 1]));
        assert_eq!(parse_cpu_list("0,2-4,7"), Some(vec![0, 2, 3, 4, 7]));
        assert_eq!(parse_cpu_list("5"), Some(vec![5]));
        assert_eq!(parse_cpu_list(""), Some(vec![]));
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("x"), None);
    }

    #[test]
    fn this_machine_has_cpus() {
        let possible = possible_cpus().unwrap();
        let online = online_cpus().unwrap();
        assert!(!possible.is_empty());
        assert!(online.iter().all(|cpu| possible.contains(cpu)));
        assert_eq!(possible_cpu_count().unwrap(), possible.len());
    }
}
