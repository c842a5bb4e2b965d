// swift-tools-version:6.1
// libFuzzer targets, one per parser, in a package of their own so the root package's `swift build` and
// `swift test` never see a second entry point. Built only by scripts/fuzz.sh:
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// Its build directories (Fuzz/.build-fuzz-release, Fuzz/.build-fuzz-noasan) are git-ignored like the root's.
import PackageDescription

let package = Package(
    name: "postls-fuzz",
    dependencies: [
        // The root package by path; its identity is its folder's name, so the product is named by that name too.
        .package(name: "postls", path: ".."),
    ],
    targets: [
        // Shared by the harnesses (not a fuzz target: scripts/fuzz.sh runs the targets named Fuzz...).
        .target(name: "LibFuzzerDriver", dependencies: [.product(name: "PostlsEngines", package: "postls")], path: "LibFuzzerDriver"),
        .executableTarget(name: "FuzzSMTPReply", dependencies: ["LibFuzzerDriver", .product(name: "PostlsEngines", package: "postls")], path: "SMTPReply"),
        .executableTarget(name: "FuzzMainCF", dependencies: ["LibFuzzerDriver", .product(name: "PostlsEngines", package: "postls")], path: "MainCF"),
        .executableTarget(name: "FuzzMasterCF", dependencies: ["LibFuzzerDriver", .product(name: "PostlsEngines", package: "postls")], path: "MasterCF"),
        .executableTarget(name: "FuzzDovecotConfig", dependencies: ["LibFuzzerDriver", .product(name: "PostlsEngines", package: "postls")], path: "DovecotConfig"),
        .executableTarget(name: "FuzzLogLine", dependencies: ["LibFuzzerDriver", .product(name: "PostlsEngines", package: "postls")], path: "LogLine"),
        .executableTarget(name: "FuzzLogGzip", dependencies: ["LibFuzzerDriver", .product(name: "PostlsEngines", package: "postls")], path: "LogGzip"),
        .executableTarget(name: "FuzzTLSReport", dependencies: ["LibFuzzerDriver", .product(name: "PostlsEngines", package: "postls")], path: "TLSReport"),
    ],
    swiftLanguageModes: [.v6]
)
