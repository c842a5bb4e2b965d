// In-process benchmark of the config engine: read + parse, lint, and expand every main.cf value
// of one configuration directory, repeated. Not a test: scripts/bench-config.sh generates the
// 5,000-line main.cf, runs this (release build) and the figures go to docs/BENCHMARKS.md.
//
//   postls-config-bench CONFIG_DIR [RUNS]
//
// The cipher-list rule is left out of "lint": it runs `openssl ciphers` (a child process, timed
// separately by `postls config --timing`), and this measures the in-process engine.
import Foundation
import PostfixConfig
import PostlsCore

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
/// This thread's CPU time: unlike wall time, it does not count time other processes held the CPU
/// (the figures stay comparable on a busy machine).
func cpuNow() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}
func ms(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e6 }

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: postls-config-bench CONFIG_DIR [RUNS]\n".utf8))
    exit(64)
}
let directory = arguments[1]
let runs = arguments.count > 2 ? max(1, Int(arguments[2]) ?? 50) : 50

// Process-wide one-time costs, apart from the per-run figures: the bundled parameter catalog.
let catalogStart = now()
let catalogCount = ParameterCatalog.bundled.parameters.count
let catalogTime = now() - catalogStart
let defaultsStart = now()
let defaults = ParameterDefaults.load(runner: SystemProcessRunner())
let defaultsTime = now() - defaultsStart
let rules = Linter.standardRules.filter { !($0 is CipherRule) }

struct Sample {
    var parse: UInt64, lint: UInt64, expand: UInt64, cpu: UInt64
    var total: UInt64 { parse + lint + expand }
}
var samples: [Sample] = []
var findingCount = 0, expandedBytes = 0
for _ in 0..<runs {
    let c0 = cpuNow()
    let t0 = now()
    let configuration: PostfixConfiguration
    do { configuration = try PostfixConfiguration.load(directory: directory, defaults: defaults) } catch {
        FileHandle.standardError.write(Data("postls-config-bench: \(error)\n".utf8))
        exit(66)
    }
    let t1 = now()
    let findings = Linter(rules: rules).run(LintContext(configuration: configuration))
    let t2 = now()
    // What the report shows for every parameter main.cf sets: its value as `postconf -nx` prints it.
    var bytes = 0
    for index in configuration.main.effectiveIndices { bytes += configuration.displayExpandedEntry(index).value.utf8.count }
    let t3 = now()
    samples.append(Sample(parse: t1 - t0, lint: t2 - t1, expand: t3 - t2, cpu: cpuNow() - c0))
    findingCount = findings.count; expandedBytes = bytes
}

func median(_ values: [UInt64]) -> Double { ms(values.sorted()[values.count / 2]) }
let first = samples[0]
print("postls config engine benchmark: \(directory)/main.cf, \(runs) runs in one process")
print(String(format: "postconf -d (child process, once): %.2f ms", ms(defaultsTime)))
print(String(format: "parameter catalog (bundled resource, once per process): %.2f ms, %d parameters", ms(catalogTime), catalogCount))
print("\(findingCount) findings, \(expandedBytes) bytes of expanded values")
print("phase".padding(toLength: 15, withPad: " ", startingAt: 0) + " first run     median")
for (name, path) in [("read + parse", \Sample.parse), ("lint", \Sample.lint), ("expand all", \Sample.expand), ("total", \Sample.total),
                     ("total CPU", \Sample.cpu)] {
    print(name.padding(toLength: 15, withPad: " ", startingAt: 0) + String(format: "%7.2f ms %7.2f ms", ms(first[keyPath: path]), median(samples.map { $0[keyPath: path] })))
}
