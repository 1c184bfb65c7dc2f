import Foundation

/// A thread of the agent's own for its async work: forwarding events, health, the run loop. Swift's
/// cooperative pool has one thread per core, two on a small gateway, shared with whatever else runs
/// there (the HTTP server once did, and a request that kept both threads busy held back the alerts).
final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [UnownedJob] = []

    init(name: String) {
        // The thread keeps its executor (one per agent, for the life of the process).
        let thread = Thread { [condition, self] in
            while true {
                condition.lock()
                while self.jobs.isEmpty { condition.wait() }
                let job = self.jobs.removeFirst()
                condition.unlock()
                job.runSynchronously(on: self.asUnownedTaskExecutor())
            }
        }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }
}
