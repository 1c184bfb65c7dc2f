import SystemThreads

/// Runs blocking libmosquitto calls (DNS and TCP in connect, the thread join in loop_stop) on a thread of
/// their own. A Dispatch queue would not do: on Linux, Swift's cooperative pool runs on Dispatch's
/// default root queue, one thread per core, and a concurrent queue shares those threads, so a pool kept
/// busy (by a CPU-bound HTTP request, say) held up connects and shutdown for as long as it lasted.
enum BlockingThread {
    static func run(_ body: @escaping @Sendable () -> Void) {
        // No thread to be had (resource limits): run it here rather than not at all.
        if !DetachedThread.start(body) { body() }
    }
}
