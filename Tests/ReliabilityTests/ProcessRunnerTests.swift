import Foundation
import PostlsCore
import Testing

/// SystemProcessRunner reaps its child on a thread of its own: exit status, output, signals and the deadline.
@Suite("Process runner")
struct ProcessRunnerTests {
    @Test func statusAndBothOutputsAreKept() throws {
        let out = try SystemProcessRunner().run("sh", ["-c", "echo out; echo err >&2; exit 3"], timeout: 30)
        #expect(out.status == 3)
        #expect(out.stdout == "out\n")
        #expect(out.stderr == "err\n")
    }

    @Test func aChildKilledByASignalReportsIt() throws {
        let out = try SystemProcessRunner().run("sh", ["-c", "kill -9 $$"], timeout: 30)
        #expect(out.status == 128 + 9)
    }

    @Test func aChildPastItsDeadlineIsStopped() throws {
        let start = Date()
        #expect(throws: ProcessRunnerError.self) { try SystemProcessRunner().run("sleep", ["30"], timeout: 0.5) }
        #expect(Date().timeIntervalSince(start) < 20)
    }

    @Test func manyShortChildrenInParallelEachGetTheirOwnStatus() async throws {
        try await withThrowingTaskGroup(of: (Int, Int32).self) { group in
            for n in 0..<16 {
                group.addTask { (n, try SystemProcessRunner().run("sh", ["-c", "exit \(n)"], timeout: 30).status) }
            }
            for try await (n, status) in group { #expect(status == Int32(n)) }
        }
    }
}
