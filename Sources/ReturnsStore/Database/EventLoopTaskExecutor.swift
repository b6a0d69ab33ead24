import NIOCore

/// Runs a task's jobs on one NIO event loop. A transaction's work preferring the event loop of its connection resumes
/// where the connection's answers arrive, instead of being woken on another thread after each of its statements.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
