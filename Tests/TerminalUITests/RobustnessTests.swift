import PostlsCore
import Testing
import TerminalUI
import WizardCore
import WizardFixtures

/// A small deterministic generator, so a failing sequence can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct RobustnessTests {
    @Test("every step renders with nothing loaded, at any size from 0x0 up", arguments: [
        (0, 0), (1, 1), (10, 3), (79, 24), (80, 23), (80, 24), (81, 25), (200, 60),
    ])
    func emptyStateAtAnySize(width: Int, height: Int) {
        for step in WizardStep.allCases {
            var s = WizardState(hostName: "", size: TerminalSize(width: width, height: height))
            s.step = step
            for glyphs in [Glyphs.unicode, .ascii] {
                let b = WizardScreen.render(s, glyphs: glyphs)
                #expect(b.width == width && b.height == height)
            }
            s.helpVisible = true
            _ = WizardScreen.render(s)
        }
    }

    @Test("thousands of random keys and resizes never break the reducer or the renderer")
    func randomKeys() {
        var rng = SplitMix64(state: 20261129)
        let keys: [WizardKey] = [.up, .down, .left, .right, .pageUp, .pageDown, .home, .end, .tab, .backTab, .enter, .escape, .backspace]
            + "1234567?/ncpsxfaryqeEgGjkhl#".map { .character($0) }
        var s = DemoStates.loaded()
        var quits = 0
        for i in 0..<4000 {
            let event: WizardEvent
            if i % 97 == 0 {
                event = .resize(width: Int.random(in: 60...140, using: &rng), height: Int.random(in: 18...50, using: &rng))
            } else {
                event = .key(keys[Int.random(in: 0..<keys.count, using: &rng)])
            }
            let (next, effects) = reduce(s, event)
            s = next
            if effects.contains(.quit) { quits += 1; s.quitting = false }
            if s.step == .apply, s.apply.phase == .running, i % 5 == 0 {
                s = reduce(s, .applyFinished(succeeded: i % 2 == 0, before: [], after: [], message: "done")).0
            }
            let b = WizardScreen.render(s)
            #expect(b.width == s.size.width)
            // The selection always points at a row that exists.
            if s.logs.rowCount > 0 { #expect(s.logs.row(at: s.logs.list.selection) != nil) }
        }
        #expect(quits > 0, "the walk reached quit at least once")
    }

    @Test("long, wide and control characters in engine data stay inside their columns")
    func hostileData() {
        var s = DemoStates.loaded()
        let weird = LogEventRow(time: "Nov 29 03:00:00", peerName: "メール.例え.jp\u{7}" + String(repeating: "x", count: 300),
                                peerAddress: "2001:db8::1", service: "smtp\tx", cause: .unclassified, confidence: .low,
                                lines: ["\u{1b}[31mred\u{1b}[0m " + String(repeating: "長", count: 200)])
        s = reduce(s, .logsLoaded(LogEventList([weird]), LogTotals())).0
        s.step = .logs
        s = reduce(s, .key(.down)).0
        for size in [TerminalSize(width: 80, height: 24), TerminalSize(width: 132, height: 43)] {
            s = reduce(s, .resize(width: size.width, height: size.height)).0
            let list = WizardScreen.render(s)
            let detail = WizardScreen.render(reduce(s, .key(.enter)).0)
            for b in [list, detail] {
                for line in b.dump() {
                    #expect(CharacterWidth.of(line) <= size.width)
                    #expect(!line.unicodeScalars.contains { $0.value < 0x20 })
                }
            }
        }
    }
}
