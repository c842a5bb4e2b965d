import Foundation
import Testing
import TerminalUI
import WizardCore
import WizardFixtures

/// Every step, rendered from DemoStates at the two sizes admins use most, compared with the golden
/// files in Golden/ (text plus role and attribute layers). POSTLS_RECORD_GOLDEN=1 re-records them;
/// review the diff before committing.
struct GoldenScreenTests {
    static let sizes = [TerminalSize(width: 80, height: 24), TerminalSize(width: 132, height: 43)]

    @Test("every step renders as recorded", arguments: sizes)
    func everyStepMatchesGolden(size: TerminalSize) throws {
        for (name, state) in DemoStates.all(size: size) {
            let buffer = WizardScreen.render(state)
            try Golden.check(buffer.dumpAnnotated(), name: "\(name)-\(size.width)x\(size.height)")
        }
    }

    @Test("ASCII fallback draws no character outside ASCII")
    func asciiFallbackIsPureASCII() throws {
        let size = TerminalSize(width: 80, height: 24)
        for (name, state) in DemoStates.all(size: size) {
            let text = WizardScreen.render(state, glyphs: .ascii).dump().joined(separator: "\n")
            let offending = text.unicodeScalars.filter { !$0.isASCII }
            #expect(offending.isEmpty, "\(name): non-ASCII \(String(String.UnicodeScalarView(offending)))")
        }
        try Golden.check(WizardScreen.render(DemoStates.loaded(size: size), glyphs: .ascii).dumpAnnotated(), name: "overview-ascii-80x24")
    }
}

extension TerminalSize: CustomTestStringConvertible {
    public var testDescription: String { "\(width)x\(height)" }
}

enum Golden {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    }

    static var recording: Bool { ProcessInfo.processInfo.environment["POSTLS_RECORD_GOLDEN"] == "1" }

    /// Compares with Golden/<name>.txt from the test bundle; records into the source tree when asked.
    static func check(_ actual: String, name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if recording {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: directory.appendingPathComponent(name + ".txt"), atomically: true, encoding: .utf8)
            return
        }
        let url = Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Golden")
        guard let url, let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("no golden file Golden/\(name).txt; record with POSTLS_RECORD_GOLDEN=1", sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(e, a).enumerated().first { $0.element.0 != $0.element.1 }
            let detail = first.map { "line \($0.offset + 1):\n  golden: \($0.element.0)\n  actual: \($0.element.1)" } ?? "line counts differ (\(e.count) vs \(a.count))"
            Issue.record("screen \(name) differs from Golden/\(name).txt at \(detail)", sourceLocation: sourceLocation)
        }
    }
}

struct StatusLineTests {
    @Test("at 80 columns the status line always keeps ? help and q quit in view", arguments: GoldenScreenTests.sizes)
    func helpAndQuitAlwaysShown(size: TerminalSize) {
        for (name, state) in DemoStates.all(size: size) where !state.size.isTooSmall && state.dialog == nil && state.input == nil && !state.helpVisible {
            let last = WizardScreen.render(state).dump()[size.height - 1]
            #expect(last.contains("? help") && last.hasSuffix("q quit"), "\(name): \(last)")
        }
    }
}

struct HelpFitsTests {
    @Test("every step's help fits whole on an 80x24 terminal", arguments: WizardStep.allCases)
    func helpFits(step: WizardStep) {
        var s = DemoStates.loaded()
        s.step = step
        s.helpVisible = true
        let text = WizardScreen.render(s).dump().joined(separator: "\n")
        #expect(text.contains("Press ? or Esc to close this help."), "the help of \(step.title) is cut off")
        for section in WizardHelp.help(for: step).sections {
            for key in section.keys { #expect(text.contains(key.label), "\(step.title): \(key.label)") }
        }
    }
}
