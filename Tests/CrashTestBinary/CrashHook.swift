import Foundation

/// How the crash tests' binary dies: `STEP:KIND[:SECONDS]` (Tests/ReliabilityTests/CrashTerminalTests.swift).
///
/// STEP is the effect the step runs: config, probe, logs, fix, rollback, report. KIND is how it dies:
/// segv (a store to an unmapped address), bus (a read past the end of a mapped empty file), fpe (a floating
/// division by zero with the trap enabled), ill (a failed Swift precondition: ud2 on x86_64, the way a
/// force-unwrapped nil or an index out of range ends), abrt (abort()), trap (SIGTRAP, a debugger breakpoint).
/// SECONDS (default 0.5, at most 30) is how long after the step starts, so the step is running and on screen.
struct CrashRequest {
    let step: String
    let kind: String
    let delay: Double

    init?(_ value: String) {
        let parts = value.split(separator: ":").map(String.init)
        guard parts.count >= 2 else { return nil }
        step = parts[0]
        kind = parts[1]
        delay = parts.count > 2 ? min(30, max(0, Double(parts[2]) ?? 0.5)) : 0.5
    }
}

enum CrashHook {
    static func crash(_ kind: String) {
        switch kind {
        case "segv":
            let address = UnsafeMutablePointer<Int>(bitPattern: 8 + Int(getpid() & 0))
            address?.pointee = 1
        case "bus":
            let path = "/tmp/postls-crash-\(getpid())"
            let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
            unlink(path)
            if fd >= 0, let map = mmap(nil, 4096, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED {
                // The file is empty: touching its first page raises SIGBUS.
                _ = map.load(as: UInt8.self)
            }
        case "fpe":
            // feenableexcept is a GNU extension Swift's Glibc module does not show.
            typealias EnableTraps = @convention(c) (Int32) -> Int32
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "feenableexcept") {
                #if arch(x86_64)
                let divideByZero: Int32 = 0x04   // FE_DIVBYZERO on x86_64
                #else
                let divideByZero: Int32 = 0x02   // FE_DIVBYZERO on arm64
                #endif
                _ = unsafeBitCast(symbol, to: EnableTraps.self)(divideByZero)
                let zero = Double(getpid() & 0)
                let quotient = 1.0 / zero
                if quotient == 42 { print(quotient) }
            }
        case "ill":
            preconditionFailure("postls-crash-test: a failed precondition in the middle of a step")
        case "abrt":
            abort()
        case "trap":
            raise(SIGTRAP)
        default:
            break
        }
        // A crash that did not happen must not pass for one: end with a status no signal gives.
        exit(99)
    }
}
