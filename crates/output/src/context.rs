//! What the printer needs from the running system: symbols, the target process, local time.
//!
//! Addresses are printed symbolically by `%a`, `%A`, `%k`, `stack()`, `sym()`, `mod()`,
//! `usym()`, `uaddr()` and `umod()`. DTrace builds every such text from the same four shapes,
//! tried in order:
//!
//! | lookup result                   | text                                   |
//! |---------------------------------|----------------------------------------|
//! | symbol found, address inside it | ``module`symbol+0xoffset``             |
//! | symbol found, address at start  | ``module`symbol``                      |
//! | only the module found           | ``module`0xaddress``                   |
//! | nothing found                   | `0xaddress`                            |
//!
//! `sym()` never prints an offset, `mod()`/`umod()` print only the module (or `0xaddress`).
//! User module names are printed as base names (the part after the last `/`).

use crate::time::LocalTime;

/// A symbol found for an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Containing module (kernel module name, or the user object's path or name).
    pub module: String,
    /// Symbol name.
    pub name: String,
    /// Address of the symbol's first byte.
    pub address: u64,
}

/// Resolves addresses and time for the formatter. Every method has a default that finds
/// nothing, so an implementation only provides what it can look up.
pub trait FormatContext {
    /// The kernel symbol containing `addr`.
    fn kernel_symbol(&self, _addr: u64) -> Option<Symbol> {
        None
    }

    /// The kernel module containing `addr`.
    fn kernel_module(&self, _addr: u64) -> Option<String> {
        None
    }

    /// Start address of the kernel module text containing `addr` (used to merge `mod()` keys).
    fn kernel_module_base(&self, _addr: u64) -> Option<u64> {
        None
    }

    /// The symbol containing `addr` in process `pid`.
    fn user_symbol(&self, _pid: u64, _addr: u64) -> Option<Symbol> {
        None
    }

    /// The object (executable or library) mapped at `addr` in process `pid`.
    fn user_module(&self, _pid: u64, _addr: u64) -> Option<String> {
        None
    }

    /// Start address of the mapping containing `addr` in `pid` (used to merge `umod()` keys).
    fn user_module_base(&self, _pid: u64, _addr: u64) -> Option<u64> {
        None
    }

    /// `$target`: the process given with `-c` or `-p`, 0 when there is none. `%A` of a plain
    /// integer resolves the address in this process.
    fn target_pid(&self) -> u64 {
        0
    }

    /// `seconds` since the epoch in the local time zone (`%Y`, `%T`).
    fn local_time(&self, seconds: i64) -> LocalTime {
        LocalTime::local(seconds)
    }

    /// The service name of a TCP/UDP port for `%P` (`/etc/services`).
    fn service_name(&self, _port: u16) -> Option<String> {
        None
    }

    /// The host name of a textual IP address for `%I`.
    fn host_name(&self, _address: &str) -> Option<String> {
        None
    }
}

/// A context that resolves nothing and keeps time in UTC: addresses print in hexadecimal and
/// output is the same on every machine. Meant for tests and for printing without a system.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSymbols;

impl FormatContext for NoSymbols {
    fn local_time(&self, seconds: i64) -> LocalTime {
        LocalTime::utc(seconds)
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `%a` text of a kernel address (`dtrace_addr2str`).
pub(crate) fn kernel_address(ctx: &dyn FormatContext, addr: u64) -> String {
    match ctx.kernel_symbol(addr) {
        Some(sym) if addr != sym.address => format!(
            "{}`{}+0x{:x}",
            sym.module,
            sym.name,
            addr.wrapping_sub(sym.address)
        ),
        Some(sym) => format!("{}`{}", sym.module, sym.name),
        None => match ctx.kernel_module(addr) {
            Some(module) => format!("{module}`0x{addr:x}"),
            None => format!("0x{addr:x}"),
        },
    }
}

/// A kernel stack frame (`dt_print_stack`): offset only when the pc is past the symbol start.
pub(crate) fn kernel_frame(ctx: &dyn FormatContext, pc: u64) -> String {
    match ctx.kernel_symbol(pc) {
        Some(sym) if pc > sym.address => {
            format!("{}`{}+0x{:x}", sym.module, sym.name, pc - sym.address)
        }
        Some(sym) => format!("{}`{}", sym.module, sym.name),
        None => match ctx.kernel_module(pc) {
            Some(module) => format!("{module}`0x{pc:x}"),
            None => format!("0x{pc:x}"),
        },
    }
}

/// `sym()` text: never an offset.
pub(crate) fn kernel_symbol_name(ctx: &dyn FormatContext, addr: u64) -> String {
    match ctx.kernel_symbol(addr) {
        Some(sym) => format!("{}`{}", sym.module, sym.name),
        None => match ctx.kernel_module(addr) {
            Some(module) => format!("{module}`0x{addr:x}"),
            None => format!("0x{addr:x}"),
        },
    }
}

/// `mod()` text.
pub(crate) fn kernel_module_name(ctx: &dyn FormatContext, addr: u64) -> String {
    ctx.kernel_module(addr)
        .unwrap_or_else(|| format!("0x{addr:x}"))
}

/// `%A` / `uaddr()` text of a user address, and user stack frames.
pub(crate) fn user_address(ctx: &dyn FormatContext, pid: u64, addr: u64) -> String {
    match ctx.user_symbol(pid, addr) {
        Some(sym) if addr > sym.address => format!(
            "{}`{}+0x{:x}",
            basename(&sym.module),
            sym.name,
            addr - sym.address
        ),
        Some(sym) => format!("{}`{}", basename(&sym.module), sym.name),
        None => match ctx.user_module(pid, addr) {
            Some(module) => format!("{}`0x{addr:x}", basename(&module)),
            None => format!("0x{addr:x}"),
        },
    }
}

/// `usym()` text: the address is first moved to the start of its symbol.
pub(crate) fn user_symbol_name(ctx: &dyn FormatContext, pid: u64, addr: u64) -> String {
    let start = ctx.user_symbol(pid, addr).map_or(addr, |sym| sym.address);
    user_address(ctx, pid, start)
}

/// `umod()` text.
pub(crate) fn user_module_name(ctx: &dyn FormatContext, pid: u64, addr: u64) -> String {
    match ctx.user_module(pid, addr) {
        Some(module) => basename(&module).to_string(),
        None => format!("0x{addr:x}"),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// A fixed symbol table: kernel `genunix` at 0x1000..0x2000 with `foo` at 0x1000 and
    /// `bar` at 0x1100; user `libc.so.1` at 0x4000..0x5000 in pid 7 with `malloc` at 0x4000.
    pub(crate) struct FakeSymbols;

    impl FormatContext for FakeSymbols {
        fn kernel_symbol(&self, addr: u64) -> Option<Symbol> {
            let (name, address) = match addr {
                0x1000..0x1100 => ("foo", 0x1000),
                0x1100..0x1800 => ("bar", 0x1100),
                _ => return None,
            };
            Some(Symbol {
                module: "genunix".into(),
                name: name.into(),
                address,
            })
        }

        fn kernel_module(&self, addr: u64) -> Option<String> {
            (0x1000..0x2000).contains(&addr).then(|| "genunix".into())
        }

        fn kernel_module_base(&self, addr: u64) -> Option<u64> {
            (0x1000..0x2000).contains(&addr).then_some(0x1000)
        }

        fn user_symbol(&self, pid: u64, addr: u64) -> Option<Symbol> {
            (pid == 7 && (0x4000..0x4800).contains(&addr)).then(|| Symbol {
                module: "/lib/libc.so.1".into(),
                name: "malloc".into(),
                address: 0x4000,
            })
        }

        fn user_module(&self, pid: u64, addr: u64) -> Option<String> {
            (pid == 7 && (0x4000..0x5000).contains(&addr)).then(|| "/lib/libc.so.1".into())
        }

        fn user_module_base(&self, pid: u64, addr: u64) -> Option<u64> {
            (pid == 7 && (0x4000..0x5000).contains(&addr)).then_some(0x4000)
        }

        fn target_pid(&self) -> u64 {
            7
        }

        fn local_time(&self, seconds: i64) -> LocalTime {
            LocalTime::utc(seconds)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::FakeSymbols;
    use super::*;

    #[test]
    fn kernel_shapes() {
        let ctx = FakeSymbols;
        assert_eq!(kernel_address(&ctx, 0x1000), "genunix`foo");
        assert_eq!(kernel_address(&ctx, 0x1104), "genunix`bar+0x4");
        assert_eq!(kernel_address(&ctx, 0x1900), "genunix`0x1900");
        assert_eq!(kernel_address(&ctx, 0x9000), "0x9000");
        assert_eq!(kernel_symbol_name(&ctx, 0x1104), "genunix`bar");
        assert_eq!(kernel_module_name(&ctx, 0x1104), "genunix");
        assert_eq!(kernel_module_name(&ctx, 0x9000), "0x9000");
    }

    #[test]
    fn user_shapes() {
        let ctx = FakeSymbols;
        assert_eq!(user_address(&ctx, 7, 0x4010), "libc.so.1`malloc+0x10");
        assert_eq!(user_symbol_name(&ctx, 7, 0x4010), "libc.so.1`malloc");
        assert_eq!(user_address(&ctx, 7, 0x4900), "libc.so.1`0x4900");
        assert_eq!(user_address(&ctx, 8, 0x4010), "0x4010");
        assert_eq!(user_module_name(&ctx, 7, 0x4010), "libc.so.1");
    }
}
