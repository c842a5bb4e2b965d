// Measures the Logs step with a million events: time to first frame and keypress-to-frame.
// Not a test: run scripts/bench-tui.sh (release build) and copy the figures to docs/BENCHMARKS.md.
import CursesTerminal
import Foundation
import TerminalUI
import WizardCore
import WizardFixtures

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
    let load = milliseconds { state = reduce(state, .logsLoaded(source, LogTotals(linesRead: count * 3))).0 }
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

    // Esc outside a prompt goes back a step, so close only an open prompt.
    func closePrompt() { if state.input != nil { state = reduce(state, .key(.escape)).0 } }

    /// Sends one key, then feeds back continuation steps as the runner does; times each step.
    func stepped(_ key: WizardKey) -> (first: Double, steps: [Double], total: Double) {
        var effects: [WizardEffect] = []
        let first = milliseconds {
            (state, effects) = reduce(state, .key(key))
            WizardScreen.render(state, into: &buffer, glyphs: .unicode)
        }
        var steps: [Double] = []
        while let effect = effects.first {
            let event: WizardEvent
            switch effect {
            case .continueSearch(let g): event = .searchContinue(generation: g)
            case .continueFilter(let g): event = .filterContinue(generation: g)
            default: effects.removeFirst(); continue
            }
            steps.append(milliseconds {
                (state, effects) = reduce(state, event)
                WizardScreen.render(state, into: &buffer, glyphs: .unicode)
            })
        }
        return (first, steps, first + steps.reduce(0, +))
    }

    // Search: a hit nearby, and a miss that must look at every event once (in steps).
    var searchSamples: [Double] = []
    for _ in 0..<20 {
        closePrompt()
        state = reduce(state, .key(.character("/"))).0
        searchSamples.append(stepped(.character("s")).total)
    }
    print("  \("/ then a matching char".padding(toLength: 26, withPad: " ", startingAt: 0)) \(summary(searchSamples))")
    closePrompt()
    state = reduce(state, .key(.character("/"))).0
    let miss = stepped(.character("#"))
    print(String(format: "  / with no match anywhere:   key %.2f ms; then %d steps, %@; %.0f ms in all",
                 miss.first, miss.steps.count, summary(miss.steps), miss.total))
    let afterMiss = stepped(.character("#"))
    print(String(format: "  a char typed after a miss:  %.3f ms", afterMiss.total))
    closePrompt()
    precondition(state.step == .logs, "the benchmark drove the wrong screen")

    // Peer filter: one pass over every event in steps after Enter.
    state = reduce(state, .key(.character("p"))).0
    for c in "school" { state = reduce(state, .key(.character(c))).0 }
    let filter = stepped(.enter)
    precondition(state.logs.filter.peer == "school", "the filter did not finish")
    print(String(format: "  peer filter (Enter):        key %.2f ms; then %d steps, %@; %.0f ms in all; %d events shown",
                 filter.first, filter.steps.count, summary(filter.steps), filter.total, state.logs.shownEvents))
    state = reduce(state, .key(.character("x"))).0

    // The same search over events held in memory with their search keys (what a log adapter that
    // keeps LogEventRows would pass): a fifth of the events, to keep memory modest.
    if size.width == 80 {
        let synthetic = SyntheticLogEvents(count: count / 5)
        let list = LogEventList((0..<synthetic.count).map { synthetic.event(at: $0) })
        var saved = state
        swap(&saved, &state)
        state = reduce(state, .logsLoaded(list, LogTotals())).0
        state = reduce(state, .key(.character("/"))).0
        let inMemory = stepped(.character("#"))
        print(String(format: "  / no match, %d in-memory events: %d steps, %@; %.0f ms in all",
                     list.count, inMemory.steps.count, summary(inMemory.steps), inMemory.total))
        swap(&saved, &state)
    }

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
