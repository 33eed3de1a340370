//! Callgrind client requests: the worker switches callgrind's instrumentation on
//! around the counted operations only, so start-up, setup and the warm-up run at
//! valgrind's base speed (`--instr-atstart=no`) instead of fully instrumented.
//!
//! A client request is valgrind's documented magic sequence (`valgrind.h`,
//! `VALGRIND_DO_CLIENT_REQUEST_EXPR` for amd64): four `rol`s of `rdi` that add up
//! to a full turn, then `xchg rbx, rbx`. On a real CPU it changes nothing; under
//! valgrind the core recognises it and hands the request in `rax` to the tool.
//! Only x86-64 is wired; elsewhere [`SUPPORTED`] is false and callgrind keeps
//! instrumenting from the start (the counts are the same, only slower).

/// `VG_USERREQ_TOOL_BASE('C', 'T')` (`callgrind.h`): callgrind's first request.
const CALLGRIND_BASE: u32 = (b'C' as u32) << 24 | (b'T' as u32) << 16;
/// `VG_USERREQ__START_INSTRUMENTATION`.
const START_INSTRUMENTATION: u32 = CALLGRIND_BASE + 4;
/// `VG_USERREQ__STOP_INSTRUMENTATION`.
const STOP_INSTRUMENTATION: u32 = CALLGRIND_BASE + 5;
/// `VG_USERREQ__RUNNING_ON_VALGRIND` (core request).
const RUNNING_ON_VALGRIND: u32 = 0x1001;

/// Whether this build can send client requests (and so may start callgrind with
/// `--instr-atstart=no`).
pub const SUPPORTED: bool = cfg!(target_arch = "x86_64");

/// Send one request with no arguments; `default` is the result outside valgrind.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn request(code: u32, default: usize) -> usize {
    let args: [usize; 6] = [code as usize, 0, 0, 0, 0, 0];
    let result: usize;
    // SAFETY: the sequence leaves every register as it found it (rdi turns by
    // 3 + 13 + 61 + 51 = 128 bits, twice round); under valgrind the core reads
    // the six words at rax and writes the result to rdx. `args` outlives the asm.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") default => result,
        );
    }
    result
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn request(_code: u32, default: usize) -> usize {
    default
}

/// Start callgrind's full instrumentation (a no-op outside callgrind).
pub fn start_instrumentation() {
    request(START_INSTRUMENTATION, 0);
}

/// Stop callgrind's full instrumentation (a no-op outside callgrind).
pub fn stop_instrumentation() {
    request(STOP_INSTRUMENTATION, 0);
}

/// Whether this process runs under valgrind (0 outside, the nesting depth inside).
pub fn running_on_valgrind() -> bool {
    request(RUNNING_ON_VALGRIND, 0) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_harmless_outside_valgrind() {
        // Under `cargo test` nothing intercepts the sequence: it must leave the
        // default result and every register the compiler relies on intact.
        let before = std::hint::black_box(41) + 1;
        start_instrumentation();
        stop_instrumentation();
        assert!(!running_on_valgrind());
        assert_eq!(std::hint::black_box(before), 42);
    }

    #[test]
    fn request_codes_are_callgrinds() {
        // callgrind.h: VG_USERREQ__START_INSTRUMENTATION = 'C' << 24 | 'T' << 16 | 4.
        assert_eq!(START_INSTRUMENTATION, 0x4354_0004);
        assert_eq!(STOP_INSTRUMENTATION, 0x4354_0005);
    }
}
