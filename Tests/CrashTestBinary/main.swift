import Foundation
import PostlsDemo
import TerminalUI
import WizardCore

/// `postls demo`'s wizard (the same library code, the real engines, the real curses session and its signal
/// handlers) with a crash on demand in the middle of one step: `postls-crash-test STEP:KIND[:SECONDS]`.
/// Built for the crash tests only, so the shipped `postls` carries no switch that crashes it.
final class CrashingEffects: WizardEffectHandler {
    let engines: WizardEffectHandler
    let request: CrashRequest

    init(engines: WizardEffectHandler, request: CrashRequest) {
        self.engines = engines
        self.request = request
    }

    func perform(_ effect: WizardEffect, post: @escaping @Sendable (WizardEvent) -> Void) {
        // The engines start the step; the crash comes while it runs, from another thread, as a real bug's would.
        engines.perform(effect, post: post)
        guard Self.step(of: effect) == request.step else { return }
        let (kind, delay) = (request.kind, request.delay)
        Thread.detachNewThread {
            usleep(UInt32(delay * 1_000_000))
            CrashHook.crash(kind)
        }
    }

    static func step(of effect: WizardEffect) -> String? {
        switch effect {
        case .loadConfig: "config"
        case .runProbe: "probe"
        case .loadLogs: "logs"
        case .applyFix: "fix"
        case .rollback: "rollback"
        case .writeReport: "report"
        default: nil
        }
    }
}

guard CommandLine.arguments.count == 2, let request = CrashRequest(CommandLine.arguments[1]) else {
    FileHandle.standardError.write(Data("usage: postls-crash-test STEP:KIND[:SECONDS]\n".utf8))
    exit(64)
}
exit(try DemoRun.run(print: false, json: false, noColor: false) { CrashingEffects(engines: $0, request: request) })
