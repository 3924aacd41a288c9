import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// Answers 503 (with `Retry-After`) when a request has not finished within its deadline, instead of leaving the
/// caller waiting for ever. PostgresNIO can leave a query unanswered when the server dies under it (seen with
/// `pg_ctl restart -m immediate`: a transaction's next statement never completes); its task is left behind, and the
/// caller, told nothing was acknowledged, retries with the same Idempotency-Key. Uploads stream at the sender's pace
/// and are not timed; nor is an administrator's Verify chain, which reads the whole audit log (about 10,000 events a
/// second) and writes nothing.
struct RequestDeadlineMiddleware: AsyncMiddleware {
    let deadline: Duration

    struct Exceeded: Error {}

    /// Long reads that change nothing: Verify chain on the page and in the API.
    static let untimedPaths: Set<String> = ["/administration/audit/verify", "/api/v1/admin/audit-events/verify"]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let contentType = request.headers.contentType
        let path = request.url.path
        if contentType?.type == "multipart" || contentType == .binary || path.hasSuffix("/attachments")
            || Self.untimedPaths.contains(path)
        {
            return try await next.respond(to: request)
        }
        let deadline = TimeAmount(self.deadline)
        return try await withCheckedThrowingContinuation { continuation in
            let outcome = Outcome(continuation)
            let work = Task {
                do {
                    outcome.finish(.success(try await next.respond(to: request)))
                } catch {
                    outcome.finish(.failure(error))
                }
            }
            // A timer on the event loop, not a task in `Task.sleep`: cancelling a sleeping task wakes it at once, but
            // the runtime keeps its wake-up (about 1 KB) until the deadline would have passed, so every request held
            // memory for the full deadline, 10 MB at 700 requests/s. A cancelled scheduled task leaves the loop at once.
            let timer = request.eventLoop.scheduleTask(in: deadline) {
                outcome.finish(.failure(Exceeded()))
                work.cancel()
            }
            outcome.onFinish { timer.cancel() }
        }
    }

    /// Resumes the caller once, with whichever comes first.
    private final class Outcome: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Response, any Error>?
            var cleanUp: (@Sendable () -> Void)?
        }
        private let state: NIOLockedValueBox<State>

        init(_ continuation: CheckedContinuation<Response, any Error>) {
            state = NIOLockedValueBox(State(continuation: continuation))
        }

        func finish(_ result: Result<Response, any Error>) {
            let taken = state.withLockedValue { state -> State in
                let taken = state
                state = State()
                return taken
            }
            taken.continuation?.resume(with: result)
            taken.cleanUp?()
        }

        /// Runs `cleanUp` once the outcome is known (at once, if it already is).
        func onFinish(_ cleanUp: @escaping @Sendable () -> Void) {
            let finished = state.withLockedValue { state -> Bool in
                if state.continuation == nil { return true }
                state.cleanUp = cleanUp
                return false
            }
            if finished { cleanUp() }
        }
    }
}
