// swift-tools-version:6.1
// libFuzzer targets, one per parser, in a package of their own so the root package's `swift build` and
// `swift test` never see a second entry point. Built only by scripts/fuzz.sh:
//   swift build --package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// Its build directory (Fuzz/.build) is git-ignored like the root's.
import PackageDescription

let package = Package(
    name: "postls-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        // The root package by path; its identity is its folder's name, so the product is named by that name too.
        .package(name: "postls", path: ".."),
    ],
    targets: [
        .executableTarget(name: "FuzzSMTPReply", dependencies: [.product(name: "PostlsEngines", package: "postls")], path: "SMTPReply"),
    ],
    swiftLanguageModes: [.v6]
)
