//! `-x` options (also set by `#pragma D option` and the flags that stand
//! for options).
//!
//! Each option has a value syntax: a *size* (`4m`, with k/m/g/t suffixes),
//! a *rate* or *time* (`10hz`, `500ms`, a bare number being a frequency for
//! rates and nanoseconds for times), a count, a string, or nothing (a flag).
//! Options DTrace defines that this implementation does not act on are
//! accepted so that scripts run, and say so under `-v`.

#[derive(Debug, Clone)]
pub struct Options {
    pub quiet: bool,
    pub flowindent: bool,
    pub destructive: bool,
    pub zdefs: bool,
    pub defaultargs: bool,
    pub errtags: bool,
    pub bufsize: u64,
    pub strsize: u64,
    pub dynvarsize: u64,
    pub aggsize: u64,
    pub switchrate_ns: u64,
    pub aggrate_ns: u64,
    pub statusrate_ns: u64,
    pub aggsortkey: bool,
    pub aggsortkeypos: u32,
    pub aggsortpos: u32,
    pub aggsortrev: bool,
    pub aggpercpu: bool,
    pub agghist: bool,
    pub aggpack: bool,
    pub aggzoom: bool,
    pub stackframes: u32,
    pub ustackframes: u32,
    pub stackindent: u32,
    pub rawbytes: bool,
    pub cpu: Option<u32>,
    pub nspec: u32,
    pub specsize: u64,
    pub bufpolicy: String,
    pub empty: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            quiet: false,
            flowindent: false,
            destructive: false,
            zdefs: false,
            defaultargs: false,
            errtags: false,
            bufsize: 4 << 20,
            strsize: 256,
            dynvarsize: 1 << 20,
            aggsize: 4 << 20,
            switchrate_ns: 1_000_000_000,
            aggrate_ns: 1_000_000_000,
            statusrate_ns: 1_000_000_000,
            aggsortkey: false,
            aggsortkeypos: 0,
            aggsortpos: 0,
            aggsortrev: false,
            aggpercpu: false,
            agghist: false,
            aggpack: false,
            aggzoom: false,
            stackframes: 20,
            ustackframes: 20,
            stackindent: 14,
            rawbytes: false,
            cpu: None,
            nspec: 1,
            specsize: 4 << 20,
            bufpolicy: "switch".into(),
            empty: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptError {
    /// No such option.
    Name,
    /// The value does not fit the option.
    Value,
}

/// Parses a size: a number with an optional k, m, g or t suffix.
pub fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim();
    let (num, mul) = match v.char_indices().last()? {
        (i, 'k' | 'K') => (&v[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&v[..i], 1 << 20),
        (i, 'g' | 'G') => (&v[..i], 1 << 30),
        (i, 't' | 'T') => (&v[..i], 1 << 40),
        _ => (v, 1),
    };
    parse_number(num)?.checked_mul(mul)
}

fn parse_number(v: &str) -> Option<u64> {
    if let Some(h) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if v.len() > 1 && v.starts_with('0') {
        u64::from_str_radix(&v[1..], 8).ok()
    } else {
        v.parse().ok()
    }
}

const TIME_SUFFIXES: &[(&str, u64)] = &[
    ("ns", 1),
    ("nsec", 1),
    ("us", 1_000),
    ("usec", 1_000),
    ("ms", 1_000_000),
    ("msec", 1_000_000),
    ("s", 1_000_000_000),
    ("sec", 1_000_000_000),
    ("m", 60_000_000_000),
    ("min", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("hour", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
    ("day", 86_400_000_000_000),
];

/// Parses a rate into an interval in nanoseconds: `10hz`, `100ms`, or a
/// bare number of nanoseconds.
pub fn parse_rate(v: &str) -> Option<u64> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (num, suffix) = v.split_at(split);
    let n = num.parse::<u64>().ok()?;
    let suffix = suffix.to_ascii_lowercase();
    if suffix.is_empty() {
        return Some(n);
    }
    if suffix == "hz" {
        if n == 0 {
            return Some(0);
        }
        return Some(1_000_000_000 / n);
    }
    let mul = TIME_SUFFIXES.iter().find(|(s, _)| *s == suffix)?.1;
    n.checked_mul(mul)
}

/// Compile-time flags take no value.
fn flag(v: Option<&str>) -> Result<bool, OptError> {
    match v {
        None => Ok(true),
        Some(_) => Err(OptError::Value),
    }
}

/// Run-time switches: no value or any number sets them (so `quiet=0` is
/// *on*, as in DTrace); words like `no` and `off`, or an empty value,
/// clear them.
fn switch(v: Option<&str>) -> Result<bool, OptError> {
    let Some(v) = v else { return Ok(true) };
    let l = v.to_ascii_lowercase();
    match l.as_str() {
        "" | "no" | "disable" | "disabled" | "false" | "off" | "unset" => Ok(false),
        "yes" | "enable" | "enabled" | "true" | "on" | "set" => Ok(true),
        _ if parse_number(&l).is_some() => Ok(true),
        _ => Err(OptError::Value),
    }
}

fn size(v: Option<&str>) -> Result<u64, OptError> {
    v.and_then(parse_size).ok_or(OptError::Value)
}

fn rate(v: Option<&str>) -> Result<u64, OptError> {
    v.and_then(parse_rate).ok_or(OptError::Value)
}

fn count(v: Option<&str>) -> Result<u32, OptError> {
    v.and_then(|s| parse_number(s.trim()))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(OptError::Value)
}

/// Options that exist in DTrace and are accepted without effect here.
const ACCEPTED: &[&str] = &[
    "bufresize",
    "cleanrate",
    "jstackframes",
    "jstackstrsize",
    "temporal",
    "amin",
    "argref",
    "core",
    "cpphdrs",
    "cpppath",
    "ctypes",
    "debug",
    "dtypes",
    "droptags",
    "evaltime",
    "iregs",
    "kdefs",
    "knodefs",
    "lazyload",
    "ldpath",
    "libdir",
    "linkmode",
    "linktype",
    "nolibs",
    "pgmax",
    "pspec",
    "stdc",
    "strip",
    "syslibdir",
    "tree",
    "tregs",
    "udefs",
    "unodefs",
    "verbose",
    "version",
    "grabanon",
    "quietresize",
    "encoding",
    "setenv",
    "unsetenv",
    "define",
    "undef",
    "incdir",
    "errexit",
    "maxframes",
    "lockmem",
    "bpflog",
    "noresolve",
];

impl Options {
    /// Sets one option by name.
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Result<(), OptError> {
        match name {
            "quiet" => self.quiet = switch(value)?,
            "flowindent" => self.flowindent = switch(value)?,
            "destructive" => self.destructive = switch(value)?,
            "zdefs" => self.zdefs = flag(value)?,
            "defaultargs" => self.defaultargs = flag(value)?,
            "errtags" => self.errtags = flag(value)?,
            "aggsortkey" => self.aggsortkey = switch(value)?,
            "aggsortrev" => self.aggsortrev = switch(value)?,
            "aggpercpu" => self.aggpercpu = switch(value)?,
            "agghist" => self.agghist = switch(value)?,
            "aggpack" => self.aggpack = switch(value)?,
            "aggzoom" => self.aggzoom = switch(value)?,
            "rawbytes" => self.rawbytes = switch(value)?,
            "empty" => self.empty = flag(value)?,
            "bufsize" => self.bufsize = size(value)?,
            "strsize" => {
                let s = size(value)?;
                if s == 0 || s > 64 << 10 {
                    return Err(OptError::Value);
                }
                self.strsize = s;
            }
            "dynvarsize" => self.dynvarsize = size(value)?,
            "aggsize" => self.aggsize = size(value)?,
            "specsize" => self.specsize = size(value)?,
            "switchrate" => self.switchrate_ns = rate(value)?,
            "aggrate" => self.aggrate_ns = rate(value)?,
            "statusrate" => self.statusrate_ns = rate(value)?,
            "aggsortkeypos" => self.aggsortkeypos = count(value)?,
            "aggsortpos" => self.aggsortpos = count(value)?,
            "stackframes" => self.stackframes = count(value)?,
            "ustackframes" => self.ustackframes = count(value)?,
            "stackindent" => self.stackindent = count(value)?,
            "nspec" => self.nspec = count(value)?,
            "cpu" => self.cpu = Some(count(value)?),
            "bufpolicy" => match value {
                Some(v @ ("switch" | "fill" | "ring")) => self.bufpolicy = v.to_string(),
                _ => return Err(OptError::Value),
            },
            _ if ACCEPTED.contains(&name) => {}
            _ => return Err(OptError::Name),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rates() {
        assert_eq!(parse_size("4m"), Some(4 << 20));
        assert_eq!(parse_size("64K"), Some(64 << 10));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_rate("10hz"), Some(100_000_000));
        assert_eq!(parse_rate("10"), Some(10));
        assert_eq!(parse_rate("250ms"), Some(250_000_000));
        assert_eq!(parse_rate("1sec"), Some(1_000_000_000));
        assert_eq!(parse_rate("fast"), None);
    }

    #[test]
    fn unknown_names_and_bad_values() {
        let mut o = Options::default();
        assert_eq!(o.set("nosuch", None), Err(OptError::Name));
        assert_eq!(o.set("bufsize", Some("big")), Err(OptError::Value));
        assert_eq!(o.set("quiet", None), Ok(()));
        assert!(o.quiet);
    }
}
