//! The column header and the prefix dtrace(1) prints before each probe's output.
//!
//! Without `-F` (flow indent) and without `-q`, the first record consumed prints the header
//! `"%3s %6s %32s\n"` of `CPU ID FUNCTION:NAME`, and every probe firing starts with
//! `"%3d %6d %32s "` of the CPU, the probe id and `function:name`, and ends with `\n` after its
//! records. With `-q` neither is printed. With `-F` the header is `"%3s %-41s\n"` of
//! `CPU FUNCTION` and the prefix `"%3d %-41s "` of the CPU and the indented function — printed
//! even with `-q`. Entry probes (name `entry` or ending in `-entry`) show ` -> ` (` => ` for the
//! `syscall` provider) and indent the following lines by two; return probes (`return`,
//! `-return`) show ` <- ` (` <= `) after the indent is reduced by two; other probes show `| `
//! followed by `function:name`.

/// How a probe takes part in flow indentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// An entry probe.
    Entry,
    /// A return probe.
    Return,
    /// Any other probe.
    None,
}

/// Classifies a probe by its name (`entry`, `*-entry`, `return`, `*-return`).
pub fn flow_kind(name: &str) -> Flow {
    let matches = |suffix: &str| {
        name == suffix
            || name
                .strip_suffix(suffix)
                .is_some_and(|rest| rest.ends_with('-'))
    };
    if matches("entry") {
        Flow::Entry
    } else if matches("return") {
        Flow::Return
    } else {
        Flow::None
    }
}

/// The column header, printed once before the first record (`None` when nothing is printed).
pub fn heading(flow_indent: bool, quiet: bool) -> Option<String> {
    if flow_indent {
        Some(format!("{:>3} {:<41}\n", "CPU", "FUNCTION"))
    } else if !quiet {
        Some(format!(
            "{:>3} {:>6} {:>32}\n",
            "CPU", "ID", "FUNCTION:NAME"
        ))
    } else {
        None
    }
}

/// The prefix of a probe firing without flow indentation (not printed with `-q`).
pub fn probe_prefix(cpu: u32, probe_id: u32, function: &str, name: &str) -> String {
    format!(
        "{cpu:>3} {probe_id:>6} {:>32} ",
        format!("{function}:{name}")
    )
}

/// The prefix of a probe firing with `-F`. `indent` is the indentation in force for this
/// line (already reduced for a return probe); `flow` is the probe's [`Flow`] after the
/// consumer's checks.
pub fn flow_prefix(
    cpu: u32,
    indent: usize,
    flow: Flow,
    provider: &str,
    function: &str,
    name: &str,
) -> String {
    let syscall = provider == "syscall";
    let label = match flow {
        Flow::Entry => format!("{}{function}", if syscall { " => " } else { " -> " }),
        Flow::Return => format!("{}{function}", if syscall { " <= " } else { " <- " }),
        Flow::None => format!("| {function}:{name}"),
    };
    format!("{cpu:>3} {:<41} ", format!("{:indent$}{label}", ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_prefix() {
        assert_eq!(
            heading(false, false).unwrap(),
            "CPU     ID                    FUNCTION:NAME\n"
        );
        assert_eq!(heading(false, true), None);
        assert_eq!(
            heading(true, true).unwrap(),
            format!("CPU FUNCTION{}\n", " ".repeat(33))
        );
        assert_eq!(
            probe_prefix(0, 1, "", "BEGIN"),
            "  0      1                           :BEGIN "
        );
    }

    #[test]
    fn flow() {
        assert_eq!(flow_kind("entry"), Flow::Entry);
        assert_eq!(flow_kind("method-entry"), Flow::Entry);
        assert_eq!(flow_kind("gentry"), Flow::None);
        assert_eq!(flow_kind("return"), Flow::Return);
        assert_eq!(flow_kind("func-return"), Flow::Return);
        assert_eq!(
            flow_prefix(1, 2, Flow::Entry, "fbt", "open", "entry"),
            format!("  1    -> open{} ", " ".repeat(31))
        );
        assert_eq!(
            flow_prefix(0, 0, Flow::Return, "syscall", "read", "return"),
            format!("  0  <= read{} ", " ".repeat(33))
        );
        assert_eq!(
            flow_prefix(0, 0, Flow::None, "profile", "", "tick-1s"),
            format!("  0 | :tick-1s{} ", " ".repeat(31))
        );
    }
}
