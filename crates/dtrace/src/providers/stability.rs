//! Stability attributes: how far a probe's names and data can be relied on.
//!
//! Every provider declares, for its provider name, module names, function
//! names, probe names and arguments, a name stability, a data stability and
//! a dependency class (the Dynamic Tracing Guide's "Stability" chapter).
//! `dtrace -lv` prints them per probe, and `dtrace -v` reports the minimum
//! over a program.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[allow(dead_code)] // the full scale, as DTrace defines it
pub enum Level {
    Internal,
    Private,
    Obsolete,
    External,
    Unstable,
    Evolving,
    Stable,
    Standard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[allow(dead_code)] // the full scale, as DTrace defines it
pub enum Class {
    Unknown,
    Cpu,
    Platform,
    Group,
    Isa,
    Common,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Internal => "Internal",
            Level::Private => "Private",
            Level::Obsolete => "Obsolete",
            Level::External => "External",
            Level::Unstable => "Unstable",
            Level::Evolving => "Evolving",
            Level::Stable => "Stable",
            Level::Standard => "Standard",
        }
    }
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Unknown => "Unknown",
            Class::Cpu => "CPU",
            Class::Platform => "Platform",
            Class::Group => "Group",
            Class::Isa => "ISA",
            Class::Common => "Common",
        }
    }
}

/// One attribute triple.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr {
    pub name: Level,
    pub data: Level,
    pub class: Class,
}

impl Attr {
    const fn new(name: Level, data: Level, class: Class) -> Attr {
        Attr { name, data, class }
    }

    /// The weaker of two attributes, component by component.
    pub fn min(self, o: Attr) -> Attr {
        Attr {
            name: self.name.min(o.name),
            data: self.data.min(o.data),
            class: self.class.min(o.class),
        }
    }
}

/// A provider's attributes: provider, module, function, name, arguments.
#[derive(Debug, Clone, Copy)]
pub struct ProviderAttrs {
    pub provider: Attr,
    pub module: Attr,
    pub function: Attr,
    pub name: Attr,
    pub args: Attr,
}

use Class::*;
use Level::*;

const STABLE: Attr = Attr::new(Stable, Stable, Common);

pub fn of(provider: &str) -> ProviderAttrs {
    match provider {
        "dtrace" => ProviderAttrs {
            provider: STABLE,
            module: STABLE,
            function: STABLE,
            name: STABLE,
            args: STABLE,
        },
        "profile" => ProviderAttrs {
            provider: Attr::new(Evolving, Evolving, Common),
            module: Attr::new(Unstable, Unstable, Common),
            function: Attr::new(Private, Private, Unknown),
            name: Attr::new(Evolving, Evolving, Common),
            args: Attr::new(Evolving, Evolving, Common),
        },
        "syscall" => ProviderAttrs {
            provider: Attr::new(Evolving, Evolving, Common),
            module: Attr::new(Private, Private, Unknown),
            function: Attr::new(Private, Private, Isa),
            name: Attr::new(Evolving, Evolving, Common),
            args: Attr::new(Private, Private, Isa),
        },
        _ => ProviderAttrs {
            provider: Attr::new(Private, Private, Unknown),
            module: Attr::new(Private, Private, Unknown),
            function: Attr::new(Private, Private, Unknown),
            name: Attr::new(Private, Private, Unknown),
            args: Attr::new(Private, Private, Unknown),
        },
    }
}
