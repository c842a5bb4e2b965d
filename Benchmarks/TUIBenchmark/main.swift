// Measures the Logs step with a million events: time to first frame and keypress-to-frame.
// Not a test: run scripts/bench-tui.sh (release build) and copy the figures to docs/BENCHMARKS.md.
import CursesTerminal
import Foundation
import TerminalUI
import WizardCore

func milliseconds(_ block: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    block()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func summary(_ samples: [Double]) -> String {
    let s = samples.sorted()
    guard !s.isEmpty else { return "-" }
    let median = s[s.count / 2], p99 = s[min(s.count - 1, s.count * 99 / 100)]
    return String(format: "median %.3f ms  p99 %.3f ms  max %.3f ms  (n=%d)", median, p99, s.last ?? 0, s.count)
}

let arguments = CommandLine.arguments

// Developer aid, not a product feature: `postls-tui-bench --try-demo` runs the wizard on the canned
// demo data in this terminal (used to check keys, resize and signal handling under tmux).
if arguments.dropFirst().first == "--try-demo" {
    let env = ProcessInfo.processInfo.environment
    let state = WizardState(hostName: DemoStates.host, size: TerminalSize(width: 80, height: 24))
    do {
        _ = try CursesWizard.run(state, effects: DemoEffectHandler(), environment: env)
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("postls-tui-bench: \(error)\n".utf8))
        exit(70)
    }
}
let count = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let sizes = [TerminalSize(width: 80, height: 24), TerminalSize(width: 132, height: 43)]

print("postls TUI benchmark: Logs step with \(count) events")
for size in sizes {
    var state = DemoStates.loaded(size: size)
    state.step = .logs
    var buffer = ScreenBuffer(width: size.width, height: size.height)
    let source = SyntheticLogEvents(count: count)

    // First frame: the events arrive (grouping pass), then the screen renders.
    let load = milliseconds { state = reduce(state, .logsLoaded(source, LogSummary(linesRead: count * 3))).0 }
    let render = milliseconds { WizardScreen.render(state, into: &buffer, glyphs: .unicode) }
    print("\n\(size.width)x\(size.height)")
    print(String(format: "  first frame: %.1f ms (grouping %.1f ms + render %.2f ms)", load + render, load, render))

    // Keypress to frame: reduce + render, per kind of key.
    func keys(_ name: String, _ key: WizardKey, times: Int, reset: ((inout WizardState) -> Void)? = nil) {
        var samples: [Double] = []
        for _ in 0..<times {
            reset?(&state)
            samples.append(milliseconds {
                state = reduce(state, .key(key)).0
                WizardScreen.render(state, into: &buffer, glyphs: .unicode)
            })
        }
        print("  \(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(summary(samples))")
    }
    keys("down", .down, times: 2000)
    keys("page down", .pageDown, times: 500)
    keys("end (G)", .character("G"), times: 50)
    keys("home (g)", .character("g"), times: 50)
    keys("Enter on heading (fold)", .enter, times: 50) { $0.logs.list = ListPosition() }
    keys("c (cause filter)", .character("c"), times: 20)
    state = reduce(state, .key(.character("x"))).0

    // Search: a hit nearby, and a miss that must look at every event once.
    // Esc outside a prompt goes back a step, so close only an open prompt.
    func closePrompt() { if state.input != nil { state = reduce(state, .key(.escape)).0 } }
    var searchSamples: [Double] = []
    for _ in 0..<20 {
        closePrompt()
        state = reduce(state, .key(.character("/"))).0
        searchSamples.append(milliseconds {
            state = reduce(state, .key(.character("s"))).0
            WizardScreen.render(state, into: &buffer, glyphs: .unicode)
        })
    }
    print("  \("/ then a matching char".padding(toLength: 26, withPad: " ", startingAt: 0)) \(summary(searchSamples))")
    closePrompt()
    state = reduce(state, .key(.character("/"))).0
    let miss = milliseconds {
        state = reduce(state, .key(.character("#"))).0
        WizardScreen.render(state, into: &buffer, glyphs: .unicode)
    }
    let afterMiss = milliseconds {
        state = reduce(state, .key(.character("#"))).0
        WizardScreen.render(state, into: &buffer, glyphs: .unicode)
    }
    print(String(format: "  / with no match anywhere:   %.1f ms (every event built and searched); the next char: %.3f ms", miss, afterMiss))
    closePrompt()

    // Peer filter: one pass over every event when Enter commits it.
    state = reduce(state, .key(.character("p"))).0
    for c in "school" { state = reduce(state, .key(.character(c))).0 }
    let filter = milliseconds {
        state = reduce(state, .key(.enter)).0
        WizardScreen.render(state, into: &buffer, glyphs: .unicode)
    }
    precondition(state.step == .logs && state.logs.filter.peer == "school", "the benchmark drove the wrong screen")
    print(String(format: "  peer filter (Enter):        %.1f ms, %d events shown", filter, state.logs.shownEvents))
    state = reduce(state, .key(.character("x"))).0

    // The same keys through ncurses (headless, output to /dev/null): what a terminal would get.
    if let session = try? CursesSession(device: .paths(input: "/dev/null", output: "/dev/null"), terminalType: "xterm-256color",
                                        locale: "C.UTF-8", restoreOnSignals: false) {
        session.resize(width: size.width, height: size.height)
        var samples: [Double] = []
        for _ in 0..<1000 {
            samples.append(milliseconds {
                state = reduce(state, .key(.down)).0
                WizardScreen.render(state, into: &buffer, glyphs: .unicode)
                session.draw(buffer)
            })
        }
        print("  \("down, drawn by ncurses".padding(toLength: 26, withPad: " ", startingAt: 0)) \(summary(samples))")
        session.close()
    }
}
