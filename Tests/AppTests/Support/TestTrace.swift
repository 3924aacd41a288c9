import Foundation
import NIOConcurrencyHelpers
import Testing

/// Where each test has got to, to find what a test that never ends is waiting for: with `CAREBOX_TEST_TRACE` naming a
/// file, the steps of `withCarebox`, `TestBrowser.open` and each request append "test<TAB>step" lines to it, and
/// `scripts/unfinished-tests` prints the last step of each test that started and never ended. Off when unset.
enum TestTrace {
    nonisolated(unsafe) private static let file: UnsafeMutablePointer<FILE>? = ProcessInfo.processInfo.environment[
        "CAREBOX_TEST_TRACE"
    ]
    .flatMap { fopen($0, "a") }
    private static let lock = NIOLock()

    static func step(_ step: @autoclosure () -> String) {
        guard let file else { return }
        let line = "\(Test.current?.name ?? "-")\t\(step())\n"
        lock.withLock {
            fputs(line, file)
            fflush(file)
        }
    }
}
