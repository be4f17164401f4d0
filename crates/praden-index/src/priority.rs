//! Background work gives the cores to searches first.
//!
//! Indexing, merging and the detector run on threads of their own at a lower scheduling
//! priority (nice), so that an editor's search that becomes runnable while they work runs
//! first: on two cores, ingesting 50 documents a second beside 20 searching editors otherwise
//! put the indexer's and the detector's bursts in front of searches and stretched the slowest
//! ones (ARCHITECTURE.md). Their work is not lost or reordered, only scheduled after the
//! searches; with idle cores it runs at full speed. Threads inherit the priority of the
//! thread that starts them, so tantivy's indexing and merge threads, started from the
//! index writer's thread, run at it too.

/// The nice value of background threads. In the scheduler's weights a thread at 5 counts
/// about a third of one at 0 (335 against 1,024), so beside the two searches a core runs at
/// once (`praden-web`'s `SearchSlots`) it still gets a seventh of that core: at 20 clients
/// searching without pause and 50 documents a second coming in, the detector and the index
/// trailed the store by seconds, not more (ARCHITECTURE.md).
pub const BACKGROUND_NICE: i32 = 5;

/// Lowers the calling thread's scheduling priority to [`BACKGROUND_NICE`] unless it is lower
/// already (on Linux, where nice is per thread; elsewhere nothing). An unprivileged process
/// may lower its threads' priority but not raise it again, so only threads that do
/// background work for their whole life call this, never a pooled one.
pub fn run_in_background() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority take no pointers; setpriority on a thread id
        // changes only that thread.
        let result = unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            // -1 is also the error value; either way the thread then gets BACKGROUND_NICE.
            if libc::getpriority(libc::PRIO_PROCESS, tid) >= BACKGROUND_NICE {
                return;
            }
            libc::setpriority(libc::PRIO_PROCESS, tid, BACKGROUND_NICE)
        };
        if result != 0 {
            tracing::debug!(
                error = %std::io::Error::last_os_error(),
                "cannot lower a background thread's priority"
            );
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn nice_of_this_thread() -> i32 {
        // Field 19 of /proc/thread-self/stat, counted after the command's closing parenthesis.
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after = stat.rsplit_once(')').unwrap().1;
        after.split_whitespace().nth(16).unwrap().parse().unwrap()
    }

    #[test]
    fn a_background_thread_and_the_threads_it_starts_run_at_the_lower_priority() {
        let caller = nice_of_this_thread();
        let (own, child) = std::thread::spawn(|| {
            run_in_background();
            let own = nice_of_this_thread();
            let child = std::thread::spawn(nice_of_this_thread).join().unwrap();
            (own, child)
        })
        .join()
        .unwrap();
        let expected = caller.max(BACKGROUND_NICE);
        assert_eq!((own, child), (expected, expected));
        // The thread that started it keeps its own.
        assert_eq!(nice_of_this_thread(), caller);
    }
}
