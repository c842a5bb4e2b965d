import ByteSources
import Foundation
import MailLog
import PostlsCore
import Testing

/// Reads what the source has now; gives up waiting after `seconds`.
func readAvailable(_ source: FollowingFileSource) throws -> String {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
    defer { buffer.deallocate() }
    let n = try source.read(into: buffer)
    return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self)
}

final class StopAfter: @unchecked Sendable {
    let deadline: Deadline
    init(_ seconds: Double) { deadline = .after(seconds: seconds) }
    var passed: Bool { deadline.hasPassed }
}

@Test("--follow reads appended lines and survives rotation (rename and a new file)")
func followSurvivesRotation() throws {
    let scratch = try Scratch()
    let path = scratch.file("mail.log")
    try "old line\n".write(toFile: path, atomically: false, encoding: .utf8)
    let stop = StopAfter(10)
    let source = try FollowingFileSource(path: path, fromEnd: true, pollInterval: 0.02, shouldStop: { stop.passed })
    // Appended after we started: read.
    let handle = try #require(FileHandle(forWritingAtPath: path))
    handle.seekToEndOfFile()
    handle.write(Data("first\n".utf8))
    #expect(try readAvailable(source) == "first\n")
    // logrotate: the file is renamed, the old one gets its last line, a new file appears.
    handle.write(Data("last of old\n".utf8))
    try handle.close()
    try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
    try "after rotation\n".write(toFile: path, atomically: false, encoding: .utf8)
    var seen = ""
    while !seen.contains("after rotation") && !stop.passed { seen += try readAvailable(source) }
    #expect(seen == "last of old\nafter rotation\n")
}

@Test("--follow starts over when the file is truncated in place (copytruncate)")
func followSurvivesTruncation() throws {
    let scratch = try Scratch()
    let path = scratch.file("mail.log")
    try "0123456789 a long first line\n".write(toFile: path, atomically: false, encoding: .utf8)
    let stop = StopAfter(10)
    let source = try FollowingFileSource(path: path, fromEnd: true, pollInterval: 0.02, shouldStop: { stop.passed })
    try "new\n".write(toFile: path, atomically: false, encoding: .utf8) // truncates and rewrites
    var seen = ""
    while !seen.contains("new") && !stop.passed { seen += try readAvailable(source) }
    #expect(seen == "new\n")
}
