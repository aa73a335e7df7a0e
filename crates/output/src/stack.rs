//! Stack printing for `stack()`, `ustack()`, `jstack()` and `%k`.
//!
//! A stack always starts on a new line: a `\n` is printed first. Each frame then gets its own
//! line: `indent` spaces, the frame text formatted with the conversion's `%s` spec, and `\n`.
//! Frames stop at the first zero program counter. The indent is the `stackindent` option
//! (14 by default) for traced stacks and aggregation keys; `%k` sets it from its own width (see
//! [`crate::printf`]). Frame texts use the shapes described in [`crate::context`].

use crate::cfmt::{self, Spec};
use crate::context::{self, FormatContext};
use crate::value::Stack;

/// The default `stackindent`.
pub const DEFAULT_STACK_INDENT: usize = 14;

/// Prints `stack` one frame per line after a leading newline.
pub(crate) fn print_stack(
    out: &mut Vec<u8>,
    stack: &Stack,
    indent: usize,
    frame_spec: &Spec,
    ctx: &dyn FormatContext,
) {
    out.push(b'\n');
    let indent = indent.min(crate::printf::MAX_FIELD_WIDTH);
    for &pc in stack.frames.iter().take_while(|&&pc| pc != 0) {
        out.extend(std::iter::repeat_n(b' ', indent));
        let text = match stack.pid {
            Some(pid) => context::user_address(ctx, pid, pc),
            None => context::kernel_frame(ctx, pc),
        };
        cfmt::string(out, frame_spec, text.as_bytes());
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::test_support::FakeSymbols;

    #[test]
    fn kernel_and_user_frames() {
        let mut out = Vec::new();
        let stack = Stack {
            pid: None,
            frames: vec![0x1104, 0x1000, 0x9000, 0, 0x1000],
        };
        print_stack(&mut out, &stack, 14, &Spec::default(), &FakeSymbols);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\n              genunix`bar+0x4\n              genunix`foo\n              0x9000\n"
        );
        let mut out = Vec::new();
        let stack = Stack {
            pid: Some(7),
            frames: vec![0x4010, 0x4900],
        };
        print_stack(&mut out, &stack, 2, &Spec::default(), &FakeSymbols);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\n  libc.so.1`malloc+0x10\n  libc.so.1`0x4900\n"
        );
    }
}
