//! What a finished child process used, for the benchmarks.

use std::os::unix::process::ExitStatusExt;
use std::process::Child;

/// CPU seconds and peak RSS (KiB) of a finished child, from wait4.
pub fn reap(mut child: Child) -> (f64, u64, String) {
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        use std::io::Read;
        let _ = o.read_to_string(&mut out);
    }
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    if std::process::ExitStatus::from_raw(status).code() == Some(124) {
        out = format!("(stopped at the time limit)\n{out}");
    }
    (
        secs(ru.ru_utime) + secs(ru.ru_stime),
        ru.ru_maxrss as u64,
        out,
    )
}
