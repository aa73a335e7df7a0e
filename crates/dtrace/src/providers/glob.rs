//! DTrace's probe-description patterns.
//!
//! Each field of a probe description is matched on its own with shell-style
//! globbing: `*` (any string), `?` (any character), `[set]` and `[!set]`
//! (with ranges), and `\` to quote the next character. An empty field
//! matches anything.

/// Whether `pattern` contains glob characters (a literal field can be
/// looked up directly instead of scanning).
pub fn is_glob(pattern: &str) -> bool {
    pattern
        .bytes()
        .any(|b| matches!(b, b'*' | b'?' | b'[' | b'\\'))
}

/// Matches `text` against `pattern`. An empty pattern matches everything.
pub fn matches(pattern: &str, text: &str) -> bool {
    pattern.is_empty() || glob(pattern.as_bytes(), text.as_bytes())
}

fn glob(p: &[u8], t: &[u8]) -> bool {
    // Iterative matching with one backtrack point for the last `*`, linear
    // in practice and without recursion.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, next)) = class(&p[pi..], t[ti]) {
                        if ok {
                            pi += next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == b'[' {
                        // An unterminated class is a literal '['.
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                b'\\' if pi + 1 < p.len() => {
                    if p[pi + 1] == t[ti] {
                        pi += 2;
                        ti += 1;
                        continue;
                    }
                }
                c => {
                    if c == t[ti] {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Matches `c` against the class at the start of `p` (`[...]`); returns
/// whether it matched and the class's length, or `None` if unterminated.
fn class(p: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(1), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        let lo = p[i];
        if lo == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            let hi = p[i + 2];
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_like_dtrace() {
        assert!(matches("", "anything"));
        assert!(matches("read", "read"));
        assert!(!matches("read", "pread"));
        assert!(matches("*read*", "pread64"));
        assert!(matches("?read", "pread"));
        assert!(matches("[pr]read", "pread"));
        assert!(!matches("[!p]read", "pread"));
        assert!(matches("[a-z]*", "x"));
        assert!(matches("a\\*b", "a*b"));
        assert!(!matches("a\\*b", "axb"));
        assert!(matches("*", ""));
        assert!(matches("sys_*_x", "sys_enter_read_x"));
        assert!(!matches("[abc", "b"));
    }
}
