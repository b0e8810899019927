//! CPU time, read from Linux's `/proc`, to say which side of a load run
//! (the load generator or the service, in one process) spent the machine.

use std::time::Duration;

/// Linux reports `/proc/*/stat` times in clock ticks of `USER_HZ`, which is
/// 100 on every architecture the kernel's ABI exposes to user space.
const USER_HZ: u64 = 100;

/// CPU time the calling thread has run so far, in nanoseconds: the first
/// field of `/proc/thread-self/schedstat`.
pub fn thread() -> Duration {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("/proc/thread-self/schedstat (Linux)");
    let nanos = schedstat
        .split_whitespace()
        .next()
        .and_then(|field| field.parse().ok())
        .expect("schedstat starts with the time on CPU in ns");
    Duration::from_nanos(nanos)
}

/// CPU time (user and system) the whole process has used so far, its exited
/// threads included: fields 14 and 15 of `/proc/self/stat`, in ticks of
/// [`USER_HZ`] (10 ms).
pub fn process() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat (Linux)");
    // The command name (field 2) is in parentheses and may hold spaces;
    // the fields after it are plain. Field 3 is the first after it.
    let after_name = &stat[stat.rfind(')').expect("stat has the name in parentheses") + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .map(|&i| {
            fields[i]
                .parse::<u64>()
                .expect("utime and stime are integers")
        })
        .sum();
    Duration::from_millis(ticks * 1000 / USER_HZ)
}
