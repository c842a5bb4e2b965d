import Foundation

/// The current time, behind a protocol so tests can fix it.
public protocol WallClock: Sendable {
    func now() -> Date
}

public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

public struct FixedClock: WallClock {
    public let date: Date
    public init(_ date: Date) { self.date = date }
    public func now() -> Date { date }
}

/// A monotonic deadline for network and process work; immune to wall-clock jumps.
public struct Deadline: Sendable, Comparable {
    public let uptimeNanoseconds: UInt64

    public init(uptimeNanoseconds: UInt64) { self.uptimeNanoseconds = uptimeNanoseconds }

    public static func now() -> Deadline { Deadline(uptimeNanoseconds: DispatchTime.now().uptimeNanoseconds) }
    public static func after(seconds: Double) -> Deadline {
        Deadline(uptimeNanoseconds: DispatchTime.now().uptimeNanoseconds &+ UInt64(max(0, seconds) * 1e9))
    }
    /// Milliseconds left, clamped to [0, Int32.max] for poll(2).
    public var remainingMilliseconds: Int32 {
        let now = DispatchTime.now().uptimeNanoseconds
        if now >= uptimeNanoseconds { return 0 }
        return Int32(clamping: (uptimeNanoseconds - now) / 1_000_000)
    }
    public var hasPassed: Bool { DispatchTime.now().uptimeNanoseconds >= uptimeNanoseconds }
    public static func < (a: Deadline, b: Deadline) -> Bool { a.uptimeNanoseconds < b.uptimeNanoseconds }
    public static func earliest(_ a: Deadline, _ b: Deadline) -> Deadline { min(a, b) }
}
