//! tracefs: the kernel's catalogue of trace events.
//!
//! We only *read* tracefs: the event list (`available_events`), an event's numeric `id` (for
//! tracepoint perf events) and its `format` file, which describes the record a `Tracepoint`
//! program receives. Probes are never created by writing tracefs files (see [`crate::perf`]).
//!
//! Where it lives: `/sys/kernel/tracing` on current kernels. If nothing is mounted there we try
//! to mount it (root only), and finally fall back to the older `/sys/kernel/debug/tracing`.
//!
//! A `format` file looks like
//!
//! ```text
//! name: sys_enter_openat
//! ID: 782
//! format:
//!     field:unsigned short common_type;    offset:0;    size:2;    signed:0;
//!     ...
//!     field:const char * filename;    offset:24;    size:8;    signed:0;
//!
//! print fmt: "..."
//! ```
//!
//! Field declarations are C: `char comm[16]` is an array, `__data_loc char[] name` a
//! variable-length field whose 32-bit value holds (length << 16 | offset) within the record.

use std::io;
use std::path::{Path, PathBuf};

const TRACEFS: &str = "/sys/kernel/tracing";
const DEBUGFS_TRACING: &str = "/sys/kernel/debug/tracing";

/// A located tracefs mount.
#[derive(Clone, Debug)]
pub struct Tracefs {
    root: PathBuf,
}

/// `system:event` as listed in `available_events`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventName {
    pub system: String,
    pub name: String,
}

/// A parsed `format` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFormat {
    pub name: String,
    pub id: u32,
    /// All fields in record order, the `common_*` header fields first.
    pub fields: Vec<Field>,
}

/// One field of a trace event record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// The declaration without the name: `const char *`, `char[16]`, `__data_loc char[]`.
    pub c_type: String,
    pub offset: u32,
    pub size: u32,
    pub signed: bool,
}

impl Field {
    /// Whether this is one of the header fields every event shares (`common_pid`, ...).
    pub fn is_common(&self) -> bool {
        self.name.starts_with("common_")
    }

    /// Whether the field is a `__data_loc` reference to variable-length data.
    pub fn is_data_loc(&self) -> bool {
        self.c_type.starts_with("__data_loc")
    }

    /// The element count of a fixed-size array field (`char[16]` gives 16).
    pub fn array_len(&self) -> Option<u32> {
        let open = self.c_type.rfind('[')?;
        self.c_type[open + 1..]
            .strip_suffix(']')?
            .trim()
            .parse()
            .ok()
    }
}

fn is_tracefs(root: &Path) -> bool {
    root.join("available_events").is_file() && root.join("events").is_dir()
}

fn not_found(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, what)
}

/// Names that become path components must not escape the events directory.
fn check_component(part: &str) -> io::Result<()> {
    let ok = !part.is_empty()
        && part != "."
        && part != ".."
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid trace event name '{part}'"),
        ))
    }
}

fn mount_tracefs(target: &str) -> io::Result<()> {
    let source = c"tracefs";
    let fstype = c"tracefs";
    let target =
        std::ffi::CString::new(target).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: all strings are NUL-terminated and outlive the call; no mount data is passed.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

impl Tracefs {
    /// Finds tracefs, mounting it at `/sys/kernel/tracing` if needed and permitted.
    pub fn open() -> io::Result<Tracefs> {
        if let Some(found) = Tracefs::find() {
            return Ok(found);
        }
        if Path::new(TRACEFS).is_dir()
            && mount_tracefs(TRACEFS).is_ok()
            && is_tracefs(Path::new(TRACEFS))
        {
            return Ok(Tracefs::at(TRACEFS));
        }
        Err(not_found(format!(
            "tracefs is not mounted at {TRACEFS} and could not be mounted (try: mount -t tracefs nodev {TRACEFS})"
        )))
    }

    /// Finds an already mounted tracefs without trying to mount one.
    pub fn find() -> Option<Tracefs> {
        [TRACEFS, DEBUGFS_TRACING]
            .into_iter()
            .map(Path::new)
            .find(|root| is_tracefs(root))
            .map(Tracefs::at)
    }

    /// Uses the tracefs at `root` as is.
    pub fn at(root: impl Into<PathBuf>) -> Tracefs {
        Tracefs { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn event_dir(&self, system: &str, event: &str) -> io::Result<PathBuf> {
        check_component(system)?;
        check_component(event)?;
        Ok(self.root.join("events").join(system).join(event))
    }

    /// Every event the kernel offers.
    pub fn available_events(&self) -> io::Result<Vec<EventName>> {
        let text = std::fs::read_to_string(self.root.join("available_events"))?;
        Ok(parse_available_events(&text))
    }

    /// Whether `system:event` exists.
    pub fn event_exists(&self, system: &str, event: &str) -> bool {
        self.event_dir(system, event)
            .is_ok_and(|dir| dir.join("id").is_file())
    }

    /// The event's numeric id, the `config` of a tracepoint perf event.
    pub fn event_id(&self, system: &str, event: &str) -> io::Result<u32> {
        let path = self.event_dir(system, event)?.join("id");
        let text = std::fs::read_to_string(&path).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("no trace event {system}:{event}: {err}"),
            )
        })?;
        text.trim().parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad id for trace event {system}:{event}"),
            )
        })
    }

    /// The event's record layout.
    pub fn event_format(&self, system: &str, event: &str) -> io::Result<EventFormat> {
        let path = self.event_dir(system, event)?.join("format");
        let text = std::fs::read_to_string(&path).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("no trace event {system}:{event}: {err}"),
            )
        })?;
        EventFormat::parse(&text).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("cannot parse format of {system}:{event}"),
            )
        })
    }
}

/// Parses `available_events` (`system:event` per line).
pub fn parse_available_events(text: &str) -> Vec<EventName> {
    text.lines()
        .filter_map(|line| line.trim().split_once(':'))
        .map(|(system, name)| EventName {
            system: system.to_string(),
            name: name.to_string(),
        })
        .collect()
}

impl EventFormat {
    /// Parses a `format` file; `None` if it lacks a name, an id, or has a malformed field line.
    pub fn parse(text: &str) -> Option<EventFormat> {
        let mut name = None;
        let mut id = None;
        let mut fields = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("name:") {
                name = Some(rest.trim().to_string());
            } else if let Some(rest) = line.strip_prefix("ID:") {
                id = Some(rest.trim().parse().ok()?);
            } else if line.starts_with("field:") {
                fields.push(parse_field(line)?);
            } else if line.starts_with("print fmt:") {
                break;
            }
        }
        Some(EventFormat {
            name: name?,
            id: id?,
            fields,
        })
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// The event's own fields, without the shared `common_*` header.
    pub fn event_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|field| !field.is_common())
    }
}

/// Parses `field:<decl>;\toffset:N;\tsize:N;\tsigned:N;`.
fn parse_field(line: &str) -> Option<Field> {
    let mut decl = None;
    let (mut offset, mut size, mut signed) = (None, None, None);
    for part in line.split(';') {
        let part = part.trim();
        if let Some(rest) = part.strip_prefix("field:") {
            decl = Some(rest.trim());
        } else if let Some(rest) = part.strip_prefix("offset:") {
            offset = rest.trim().parse().ok();
        } else if let Some(rest) = part.strip_prefix("size:") {
            size = rest.trim().parse().ok();
        } else if let Some(rest) = part.strip_prefix("signed:") {
            signed = Some(rest.trim() == "1");
        }
    }
    let (name, c_type) = split_declaration(decl?)?;
    Some(Field {
        name,
        c_type,
        offset: offset?,
        size: size?,
        signed: signed.unwrap_or(false),
    })
}

/// Splits a C declaration into the declared name and the type text: `char comm[16]` gives
/// (`comm`, `char[16]`), `const char * filename` gives (`filename`, `const char *`).
fn split_declaration(decl: &str) -> Option<(String, String)> {
    let decl = decl.trim();
    let (head, dims) = match decl.strip_suffix(']') {
        Some(_) => {
            let open = decl.rfind('[')?;
            (decl[..open].trim_end(), &decl[open..])
        }
        None => (decl, ""),
    };
    let name_start = head
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &head[name_start..];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let ty = head[..name_start].trim_end();
    if ty.is_empty() {
        return None;
    }
    Some((name.to_string(), format!("{ty}{dims}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENAT: &str = "name: sys_enter_openat\nID: 782\nformat:\n\
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\
\n\
\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n\
\tfield:char comm[16];\toffset:32;\tsize:16;\tsigned:0;\n\
\tfield:__data_loc char[] name;\toffset:48;\tsize:4;\tsigned:0;\n\
\n\
print fmt: \"filename: 0x%08lx\", ((unsigned long)(REC->filename))\n";

    #[test]
    fn parses_format_files() {
        let format = EventFormat::parse(OPENAT).unwrap();
        assert_eq!(format.name, "sys_enter_openat");
        assert_eq!(format.id, 782);
        assert_eq!(format.fields.len(), 6);
        let pid = format.field("common_pid").unwrap();
        assert!(pid.is_common() && pid.signed);
        assert_eq!((pid.c_type.as_str(), pid.offset, pid.size), ("int", 4, 4));
        let filename = format.field("filename").unwrap();
        assert_eq!(
            (filename.c_type.as_str(), filename.offset, filename.size),
            ("const char *", 24, 8)
        );
        let comm = format.field("comm").unwrap();
        assert_eq!(
            (comm.c_type.as_str(), comm.array_len()),
            ("char[16]", Some(16))
        );
        let name = format.field("name").unwrap();
        assert!(name.is_data_loc());
        assert_eq!(
            (name.c_type.as_str(), name.array_len()),
            ("__data_loc char[]", None)
        );
        let own: Vec<&str> = format.event_fields().map(|f| f.name.as_str()).collect();
        assert_eq!(own, ["__syscall_nr", "filename", "comm", "name"]);
    }

    #[test]
    fn rejects_malformed_formats() {
        assert!(EventFormat::parse("name: x\nformat:\n").is_none());
        assert!(
            EventFormat::parse("name: x\nID: 1\n\tfield:int;\toffset:0;\tsize:4;\tsigned:1;\n")
                .is_none()
        );
        assert!(
            EventFormat::parse("name: x\nID: 1\n\tfield:int a;\toffset:z;\tsize:4;\tsigned:1;\n")
                .is_none()
        );
    }

    #[test]
    fn parses_event_lists_and_guards_paths() {
        let events = parse_available_events("sched:sched_switch\nsyscalls:sys_enter_read\n\n");
        assert_eq!(
            events[1],
            EventName {
                system: "syscalls".into(),
                name: "sys_enter_read".into()
            }
        );
        assert_eq!(events.len(), 2);
        let fs = Tracefs::at("/nonexistent");
        assert_eq!(
            fs.event_id("..", "x").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            fs.event_id("a/b", "x").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn reads_this_kernels_events() {
        let Some(fs) = Tracefs::find() else {
            eprintln!("skipped: tracefs not mounted");
            return;
        };
        let events = fs.available_events().unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.system == "sched" && e.name == "sched_switch")
        );
        let id = fs.event_id("sched", "sched_switch").unwrap();
        let format = fs.event_format("sched", "sched_switch").unwrap();
        assert_eq!(format.id, id);
        assert_eq!(format.field("prev_comm").unwrap().array_len(), Some(16));
        assert!(fs.event_exists("sched", "sched_switch"));
        assert!(!fs.event_exists("sched", "no_such_event"));
    }
}
