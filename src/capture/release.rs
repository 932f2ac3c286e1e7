//! The capture's packet socket, closed without making the user wait.
//!
//! The last close of a packet socket that has a ring waits for a kernel
//! RCU grace period (20-40 ms measured here): about a fifth of a whole
//! clean trace. A child process takes a copy of the socket and holds it
//! until this process has exited (the end of a pipe tells it), so that
//! the last close, and its wait, happen in the child; this process's own
//! close is then only a reference dropped.

use std::os::fd::RawFd;

/// Hands the last close of `socket` to a child process that outlives this
/// one. Best effort: if that cannot be arranged, the close simply waits.
pub fn close_later(socket: RawFd) {
    let mut pipe: [libc::c_int; 2] = [0; 2];
    // SAFETY: pipe2 fills the two descriptors.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return;
    }
    let [wait_end, held_end] = pipe;
    // SAFETY: the child only calls async-signal-safe functions (close,
    // close_range, read, _exit) before it ends, as fork(2) in a threaded
    // process requires.
    match unsafe { libc::fork() } {
        0 => unsafe { hold_then_exit(socket, wait_end) },
        pid if pid > 0 => {
            // The parent keeps `held_end` open until it exits: the
            // child's read ends then.
            // SAFETY: closing the parent's copy of the child's end.
            unsafe { libc::close(wait_end) };
        }
        _ => {
            // SAFETY: closing the pipe that no child uses.
            unsafe {
                libc::close(wait_end);
                libc::close(held_end);
            }
        }
    }
}

/// The child: keeps only `socket` and `wait_end` (no standard output a
/// reader waits on, no recording), waits for the parent to exit, and
/// exits, closing the socket.
///
/// # Safety
///
/// Only in the child just forked.
unsafe fn hold_then_exit(socket: RawFd, wait_end: RawFd) -> ! {
    let (low, high) = (socket.min(wait_end), socket.max(wait_end));
    // Closes first..=last (as far as descriptors go), if any.
    let close_range = |first: i64, last: i64| {
        if first <= last {
            let last = last.min(i64::from(libc::c_uint::MAX)) as libc::c_uint;
            libc::syscall(libc::SYS_close_range, first as libc::c_uint, last, 0);
        }
    };
    let (low, high) = (i64::from(low), i64::from(high));
    close_range(0, low - 1);
    close_range(low + 1, high - 1);
    close_range(high + 1, i64::MAX);
    let mut byte = 0u8;
    while libc::read(wait_end, (&mut byte as *mut u8).cast(), 1) < 0 {}
    libc::_exit(0)
}
