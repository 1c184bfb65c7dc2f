#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs blocking libmosquitto calls (DNS and TCP in connect, the thread join in loop_stop) on a thread of
/// their own. A Dispatch queue would not do: on Linux, Swift's cooperative pool runs on Dispatch's
/// default root queue, one thread per core, and a concurrent queue shares those threads, so a pool kept
/// busy (by a CPU-bound HTTP request, say) held up connects and shutdown for as long as it lasted.
enum BlockingThread {
    private final class Work {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    static func run(_ body: @escaping @Sendable () -> Void) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let work = Unmanaged.passRetained(Work(body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let rc = pthread_create(&thread, &attributes, { argument in
            let work = Unmanaged<Work>.fromOpaque(argument!).takeRetainedValue()
            work.body()
            return nil
        }, work)
        if rc != 0 {
            // No thread to be had (resource limits): run it here rather than not at all.
            Unmanaged<Work>.fromOpaque(work).takeRetainedValue().body()
        }
    }
}
