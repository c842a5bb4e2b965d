import Foundation
import Synchronization
import WizardCore

/// What the runner reads from and draws to: curses on a terminal, or a script in tests and in a
/// headless run that dumps the screen (tig-style).
public protocol TerminalBackend: AnyObject {
    var size: TerminalSize { get }
    var glyphs: Glyphs { get }
    func draw(_ buffer: ScreenBuffer)
    func nextInput(timeoutMilliseconds: Int) -> BackendInput
}

public enum BackendInput: Sendable {
    case event(WizardEvent)
    case timeout
    /// No more input will come (a script ended): the runner stops.
    case endOfInput
}

/// Performs effects (probes, log reading, applying fixes) outside the reducer, usually on other
/// threads, and reports results through `post`, which may be called from any thread.
public protocol WizardEffectHandler: AnyObject {
    func perform(_ effect: WizardEffect, post: @escaping @Sendable (WizardEvent) -> Void)
}

/// The loop that ties it together: input and engine results become events, events go through
/// `reduce`, effects go to the handler, and the screen is drawn after every change.
public final class WizardRunner {
    public private(set) var state: WizardState
    public private(set) var lastFrame: ScreenBuffer
    public private(set) var framesDrawn = 0
    private let backend: TerminalBackend
    private let handler: WizardEffectHandler
    private let inbox = Inbox()
    /// How long to wait for a key before looking at posted results again.
    public var pollMilliseconds = 50

    public init(state: WizardState, backend: TerminalBackend, effects: WizardEffectHandler) {
        var s = state
        s.size = backend.size
        self.state = s
        self.backend = backend
        self.handler = effects
        lastFrame = ScreenBuffer(width: 0, height: 0)
    }

    /// Queues an event from any thread (engine results, progress).
    public func post(_ event: WizardEvent) { inbox.push(event) }

    /// Runs until the wizard quits or the input ends; returns the final state.
    @discardableResult
    /// `startupEffects` nil: the usual start (read config and logs, probe), with the screens showing
    /// that the work is under way.
    public func run(startupEffects: [WizardEffect]? = nil) -> WizardState {
        perform(startupEffects ?? state.beginStartup())
        redraw()
        while !state.quitting {
            var changed = false
            for event in inbox.drain() {
                apply(event)
                changed = true
            }
            if state.quitting { break }
            if changed { redraw() }
            switch backend.nextInput(timeoutMilliseconds: inbox.isEmpty ? pollMilliseconds : 0) {
            case .event(let event):
                apply(event)
                if !state.quitting { redraw() }
            case .timeout:
                continue
            case .endOfInput:
                let pending = inbox.drain()
                for event in pending { apply(event) }
                if !pending.isEmpty { redraw() }
                return state
            }
        }
        return state
    }

    private func apply(_ event: WizardEvent) {
        let (next, effects) = reduce(state, event)
        state = next
        perform(effects)
    }

    private func perform(_ effects: [WizardEffect]) {
        let inbox = self.inbox
        for effect in effects {
            switch effect {
            case .quit:
                continue
            case .continueSearch(let generation):
                // Queued, not run: the loop reads pending keys before the next step.
                inbox.push(.searchContinue(generation: generation))
            case .continueFilter(let generation):
                inbox.push(.filterContinue(generation: generation))
            default:
                handler.perform(effect) { inbox.push($0) }
            }
        }
    }

    private func redraw() {
        var buffer = ScreenBuffer(width: state.size.width, height: state.size.height)
        WizardScreen.render(state, into: &buffer, glyphs: backend.glyphs)
        backend.draw(buffer)
        lastFrame = buffer
        framesDrawn += 1
    }
}

/// Events posted from other threads, taken by the runner's thread.
final class Inbox: Sendable {
    private let events = Mutex<[WizardEvent]>([])

    func push(_ event: WizardEvent) { events.withLock { $0.append(event) } }
    func drain() -> [WizardEvent] { events.withLock { events in defer { events = [] }; return events } }
    var isEmpty: Bool { events.withLock { $0.isEmpty } }
}

/// A backend driven by a script of keys, for tests and headless runs that dump the screen.
public final class ScriptedBackend: TerminalBackend {
    public enum Step: Sendable, Equatable {
        case key(WizardKey)
        case resize(width: Int, height: Int)
        /// Lets posted results arrive before the next key.
        case pause(milliseconds: Int)
    }

    public private(set) var size: TerminalSize
    public let glyphs: Glyphs
    private var steps: [Step]
    public private(set) var frames: [ScreenBuffer] = []

    public init(size: TerminalSize, steps: [Step], glyphs: Glyphs = .unicode) {
        self.size = size
        self.steps = steps
        self.glyphs = glyphs
    }

    public func draw(_ buffer: ScreenBuffer) { frames.append(buffer) }

    public func nextInput(timeoutMilliseconds: Int) -> BackendInput {
        guard !steps.isEmpty else { return .endOfInput }
        switch steps.removeFirst() {
        case .key(let k): return .event(.key(k))
        case .resize(let w, let h):
            size = TerminalSize(width: w, height: h)
            return .event(.resize(width: w, height: h))
        case .pause(let ms):
            Thread.sleep(forTimeInterval: Double(ms) / 1000)
            return .timeout
        }
    }

    /// Parses a key script: words separated by spaces. Names: up down left right pgup pgdn home end
    /// tab btab enter esc bs space; `sleep:MS` pauses; `resize:WxH` resizes; any other word is typed
    /// character by character (so `/bank` opens search and types "bank").
    public static func parse(_ script: String) throws -> [Step] {
        var steps: [Step] = []
        let named: [String: WizardKey] = [
            "up": .up, "down": .down, "left": .left, "right": .right, "pgup": .pageUp, "pgdn": .pageDown,
            "home": .home, "end": .end, "tab": .tab, "btab": .backTab, "enter": .enter, "esc": .escape,
            "bs": .backspace, "space": .character(" "),
        ]
        for word in script.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init) {
            if let key = named[word.lowercased()] { steps.append(.key(key)); continue }
            if word.hasPrefix("sleep:") {
                guard let ms = Int(word.dropFirst(6)), ms >= 0 else { throw ScriptError.badWord(word) }
                steps.append(.pause(milliseconds: ms)); continue
            }
            if word.hasPrefix("resize:") {
                let dims = word.dropFirst(7).split(separator: "x")
                guard dims.count == 2, let w = Int(dims[0]), let h = Int(dims[1]), w > 0, h > 0 else { throw ScriptError.badWord(word) }
                steps.append(.resize(width: w, height: h)); continue
            }
            for c in word { steps.append(.key(.character(c))) }
        }
        return steps
    }

    public enum ScriptError: Error, CustomStringConvertible, Equatable {
        case badWord(String)
        public var description: String {
            switch self { case .badWord(let w): "cannot read \"\(w)\" in the key script (expected e.g. sleep:200 or resize:100x30)" }
        }
    }
}

/// Runs the wizard without a terminal on a key script and returns the last screen, the way tig's
/// tests drive tig: `postls` can offer this (e.g. `--keys SCRIPT --dump-screen`) for end-to-end tests.
public enum HeadlessWizard {
    public static func run(_ state: WizardState, keys script: String, size: TerminalSize = TerminalSize(width: 80, height: 24),
                           glyphs: Glyphs = .unicode, effects: WizardEffectHandler,
                           startupEffects: [WizardEffect]? = nil) throws -> (state: WizardState, screen: ScreenBuffer) {
        let backend = ScriptedBackend(size: size, steps: try ScriptedBackend.parse(script), glyphs: glyphs)
        let runner = WizardRunner(state: state, backend: backend, effects: effects)
        let final = runner.run(startupEffects: startupEffects)
        return (final, runner.lastFrame)
    }
}
