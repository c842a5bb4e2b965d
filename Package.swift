// swift-tools-version:6.1
// The target graph mirrors the architecture (docs/ARCHITECTURE.md): C libraries are
// reached only through one wrapping target each, engines never import a UI target. Every target declares each
// target it imports. Linux only: the code calls Glibc directly, so no `platforms:` claims otherwise.
import PackageDescription

let package = Package(
    name: "postls",
    products: [
        .executable(name: "postls", targets: ["postls"]),
        .library(name: "PostlsEngines", targets: ["TLSProbe", "PostfixConfig", "ByteSources", "MailLog", "TLSReports"]),  // for Fuzz/Package.swift
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        // C system libraries, each with a shim header for the macros Swift cannot see.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CNcurses", providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Shared vocabulary (cause ids, severities) and side-effect protocols.
        .target(name: "PostlsCore"),

        // The only importer of COpenSSL.
        .target(name: "TLSKit", dependencies: ["COpenSSL", "PostlsCore"]),

        // Engines: no UI.
        .target(name: "PostfixConfig", dependencies: ["PostlsCore", "TLSKit"]),
        .target(name: "TLSProbe", dependencies: ["PostlsCore", "TLSKit"]),
        // The only importer of CZlib: where log bytes come from (files, gzip, standard input, journalctl, --follow).
        .target(name: "ByteSources", dependencies: ["PostlsCore", "CZlib"]),
        .target(name: "CLogScan"),  // MailLog's bulk trigger scan in AVX2, picked at run time
        // The only importer of CLogScan; inlinable, so the hot loop still calls the C kernel directly.
        .target(name: "LogScan", dependencies: ["CLogScan"]),
        .target(name: "MailLog", dependencies: ["PostlsCore", "ByteSources", "LogScan"]),
        .target(name: "MailDNS", dependencies: ["PostlsCore", "TLSKit", "TLSProbe"]),
        .target(name: "TLSReports", dependencies: ["PostlsCore", "ByteSources"]),  // RFC 8460 reports; gzip through ByteSources
        .target(name: "Diagnosis", dependencies: ["PostlsCore", "PostfixConfig", "TLSProbe", "ByteSources", "MailLog", "MailDNS", "TLSKit", "TLSReports"]),

        // The wizard: pure state machine, pure rendering, and the one curses backend.
        .target(name: "WizardCore", dependencies: ["PostlsCore", "Diagnosis", "PostfixConfig", "TLSProbe", "MailLog", "MailDNS"]),
        .target(name: "TerminalUI", dependencies: ["WizardCore", "PostlsCore"]),
        .target(name: "CTerminalRestore"),  // the signal handlers that give the terminal back, async-signal-safe
        .target(name: "CursesTerminal", dependencies: ["CNcurses", "CTerminalRestore", "TerminalUI", "WizardCore"]),
        // The wizard on the real engines, and the demo (its broken server and SMTP stand-ins) that runs it.
        .target(name: "PostlsWizard", dependencies: ["WizardCore", "TerminalUI", "CursesTerminal", "Diagnosis", "PostfixConfig",
                                                     "PostlsCore", "MailLog", "TLSKit", "TLSProbe"]),
        .target(name: "PostlsDemo", dependencies: ["PostlsWizard", "CursesTerminal", "TerminalUI", "WizardCore", "Diagnosis", "PostfixConfig",
                                                   "PostlsCore", "TLSKit"]),

        .executableTarget(
            name: "postls",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "PostlsCore", "TLSKit", "PostfixConfig", "TLSProbe", "ByteSources", "MailLog", "MailDNS", "Diagnosis", "TLSReports",
                "CursesTerminal", "PostlsWizard", "PostlsDemo", "WizardCore",
            ]
        ),

        .executableTarget(name: "postls-tui-bench", dependencies: ["WizardCore", "TerminalUI", "CursesTerminal", "WizardFixtures"],
                          path: "Benchmarks/TUIBenchmark"),
        .executableTarget(name: "postls-config-bench", dependencies: ["PostfixConfig", "PostlsCore"], path: "Benchmarks/ConfigBenchmark"),

        // Test helpers shared by the test targets: real Postfix/Dovecot instances, certificates, peers.
        .target(name: "TestSupport", dependencies: ["PostlsCore", "TLSKit"]),
        // Fixtures, not product: canned wizard states, synthetic log events, canned effects (tests and benchmarks).
        .target(name: "WizardFixtures", dependencies: ["WizardCore", "TerminalUI", "PostlsCore"]),
        // `postls demo`'s wizard with a crash on demand, for the crash tests only; the shipped binary has no such switch.
        .executableTarget(name: "postls-crash-test", dependencies: ["PostlsDemo", "TerminalUI", "WizardCore"],
                          path: "Tests/CrashTestBinary"),

        .testTarget(name: "TLSKitTests", dependencies: ["TLSKit", "TestSupport", "PostlsCore"]),
        .testTarget(name: "HarnessTests", dependencies: ["TestSupport", "TLSKit", "PostlsCore"]),
        .testTarget(name: "PostfixConfigTests", dependencies: ["PostfixConfig", "TestSupport", "PostlsCore", "TLSKit"], resources: [.copy("Corpus")]),
        .testTarget(name: "TLSProbeTests", dependencies: ["TLSProbe", "TestSupport", "PostlsCore", "TLSKit"], exclude: ["Golden"]),
        .testTarget(name: "MailLogTests", dependencies: ["MailLog", "ByteSources", "TestSupport", "PostlsCore", "TLSKit"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI", "WizardCore", "CursesTerminal", "WizardFixtures", "TestSupport", "PostlsCore", "MailLog", "TLSProbe", "Diagnosis", "TLSReports"], resources: [.copy("Golden")]),
        .testTarget(name: "MailDNSTests", dependencies: ["MailDNS", "TestSupport", "TLSKit", "PostlsCore", "TLSProbe"]),
        .testTarget(name: "TLSReportsTests", dependencies: ["TLSReports", "TestSupport", "PostlsCore"]),
        .testTarget(name: "DiagnosisTests", dependencies: ["Diagnosis", "TestSupport", "PostfixConfig", "TLSProbe", "MailLog", "MailDNS", "TLSKit", "PostlsCore", "TLSReports"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "PostlsCore", "TLSKit"]),
        .testTarget(name: "ReliabilityTests", dependencies: ["TLSProbe", "TestSupport", "TLSKit", "PostlsCore", "PostfixConfig"]),
    ],
    swiftLanguageModes: [.v6]
)
