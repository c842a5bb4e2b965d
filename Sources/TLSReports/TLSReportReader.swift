import ByteSources
import Foundation

/// Everything read from the inputs: the reports, and what was not a report or could not be read, each with its
/// reason, so nothing is lost silently.
public struct TLSReportSet: Sendable, Equatable {
    public var reports: [TLSReport] = []
    /// Report-like inputs (JSON, gzip, attachments, TLS report messages) that could not be read as a report.
    public var rejected: [TLSReportRejection] = []
    /// Messages that carry no TLS report (other mail in the same mailbox) and repeated reports.
    public var skipped: [TLSReportRejection] = []
    /// Paths that could not be opened or read at all.
    public var unreadable: [TLSReportRejection] = []
    public init() {}
}

/// Reads SMTP TLS reports (RFC 8460) from JSON, gzip-compressed JSON, single messages (.eml), mbox files and
/// Maildir folders, whatever the file is called: the content decides. Gzip is inflated by ByteSources'
/// `GzipByteSource`, the project's one wrapper of zlib.
public final class TLSReportReader {
    public private(set) var set = TLSReportSet()
    /// Organisation and report-id of each report seen, to skip a report delivered twice.
    private var seen: [String: String] = [:]
    /// Inflated reports above this size are rejected (a gzip bomb would otherwise fill memory).
    public var maximumInflatedSize = 64 << 20

    public init() {}

    /// Reads a file or a folder (a Maildir, Maildir++ subfolders included, or any folder of report files and
    /// messages, recursively).
    public func read(path: String) { read(paths: [path]) }

    /// Reads files and folders: the folders are listed first, then the files are read on every core (each into a
    /// reader of its own) and their results taken in order, so the output does not depend on the threads.
    public func read(paths: [String]) {
        var files: [String] = []
        for path in paths {
            var st = stat()
            guard stat(path, &st) == 0 else {
                set.unreadable.append(TLSReportRejection(source: path, reason: String(cString: strerror(errno))))
                continue
            }
            if st.st_mode & S_IFMT == S_IFDIR { listDirectory(path, into: &files) } else { files.append(path) }
        }
        let results = UnsafeMutableBufferPointer<TLSReportSet>.allocate(capacity: files.count)
        _ = results.initialize(from: repeatElement(TLSReportSet(), count: files.count))
        defer { results.deinitialize().deallocate() }
        nonisolated(unsafe) let slots = results
        let limit = maximumInflatedSize
        let list = files
        DispatchQueue.concurrentPerform(iterations: list.count) { i in
            let worker = TLSReportReader()
            worker.maximumInflatedSize = limit
            worker.readFile(list[i])
            slots[i] = worker.set  // each iteration writes its own slot
        }
        for result in results {
            for report in result.reports { insert(report) }
            set.rejected += result.rejected
            set.skipped += result.skipped
            set.unreadable += result.unreadable
        }
    }

    /// Reads bytes that came from elsewhere (standard input).
    public func read(bytes: [UInt8], source: String) {
        readInput(bytes[...], source: source, context: Context(), depth: 0)
    }

    // MARK: - Files and folders

    private func readFile(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            set.unreadable.append(TLSReportRejection(source: path, reason: String(cString: strerror(errno))))
            return
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var st = stat()
        let size = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
        bytes.reserveCapacity(size + 1)
        var chunk = [UInt8](repeating: 0, count: max(4096, min(size + 1, 1 << 20)))
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                set.unreadable.append(TLSReportRejection(source: path, reason: "read error: \(String(cString: strerror(errno)))"))
                return
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        readInput(bytes[...], source: path, context: Context(fileName: (path as NSString).lastPathComponent), depth: 0)
    }

    /// The files of a folder, in the order they are read.
    private func listDirectory(_ path: String, into files: inout [String]) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: path) else {
            set.unreadable.append(TLSReportRejection(source: path, reason: "cannot list the folder: \(String(cString: strerror(errno)))"))
            return
        }
        func isDirectory(_ p: String) -> Bool { var d: ObjCBool = false; return fm.fileExists(atPath: p, isDirectory: &d) && d.boolValue }
        let join = { (name: String) in path.hasSuffix("/") ? path + name : path + "/" + name }
        if isDirectory(join("cur")) || isDirectory(join("new")) {
            // A Maildir: delivered messages are in new/ and cur/ (tmp/ holds deliveries under way).
            var messages: [String] = []
            for sub in ["new", "cur"] {
                let dir = join(sub)
                for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where !name.hasPrefix(".") { messages.append(dir + "/" + name) }
            }
            messages.sort { ($0 as NSString).lastPathComponent < ($1 as NSString).lastPathComponent }
            files += messages
            // Maildir++ folders (.Reports, .Archive...) are Maildirs of their own.
            for name in names.sorted() where name.hasPrefix(".") && name != "." && name != ".." && isDirectory(join(name)) {
                let sub = join(name)
                if isDirectory(sub + "/cur") || isDirectory(sub + "/new") { listDirectory(sub, into: &files) }
            }
            return
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let full = join(name)
            if isDirectory(full) { listDirectory(full, into: &files) } else { files.append(full) }
        }
    }

    // MARK: - Content

    /// What the enclosing message or file says about the report inside.
    private struct Context {
        var fileName: String?
        var submitter: String?
    }

    private func readInput(_ bytes: ArraySlice<UInt8>, source: String, context: Context, depth: Int) {
        var i = bytes.startIndex
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i += 3 }
        while i < bytes.endIndex, [32, 9, 10, 13].contains(bytes[i]) { i += 1 }
        guard i < bytes.endIndex else {
            set.rejected.append(TLSReportRejection(source: source, reason: "empty: no report in it"))
            return
        }
        let content = bytes[i...]
        if content.starts(with: [0x1F, 0x8B]) {
            switch inflate(content, source: source) {
            case .success(let inflated):
                guard depth < 2 else { return reject(source, "gzip inside gzip: not a TLS report") }
                readInput(inflated[...], source: source, context: context, depth: depth + 1)
            case .failure(let rejection): set.rejected.append(rejection)
            }
        } else if content.first == UInt8(ascii: "{") || content.first == UInt8(ascii: "[") {
            addReport(TLSReportParser.parse(json: Data(content), source: source), context: context)
        } else if content.starts(with: Array("From ".utf8)) {
            readMailbox(content, source: source)
        } else if Self.looksLikeHeader(content) {
            readMessage(MIMEPart(content), source: source)
        } else {
            reject(source, "not a TLS report: neither JSON, gzip-compressed JSON nor a mail message")
        }
    }

    private func reject(_ source: String, _ reason: String) {
        set.rejected.append(TLSReportRejection(source: source, reason: reason))
    }

    private func addReport(_ result: Result<TLSReport, TLSReportRejection>, context: Context) {
        switch result {
        case .failure(let rejection): set.rejected.append(rejection)
        case .success(var report):
            report.submitter = context.submitter
            report.fileNameStart = context.fileName.flatMap(Self.startInFileName)
            insert(report)
        }
    }

    /// Adds a report unless the same one (organisation and report-id) was read before.
    private func insert(_ report: TLSReport) {
        if let id = report.reportID {
            let key = report.organization + "\u{0}" + id
            if let first = seen[key] {
                set.skipped.append(TLSReportRejection(source: report.source, reason: "the same report (report-id \(id)) as \(first)"))
                return
            }
            seen[key] = report.source
        }
        set.reports.append(report)
    }

    /// An mbox: messages start at lines "From " (at the start, or after an empty line); ">From " lines are unquoted.
    private func readMailbox(_ bytes: ArraySlice<UInt8>, source: String) {
        var starts: [Int] = []
        var i = bytes.startIndex
        var previousEmpty = true
        while i < bytes.endIndex {
            var end = i
            while end < bytes.endIndex && bytes[end] != 10 { end += 1 }
            if previousEmpty && bytes[i..<end].starts(with: Array("From ".utf8)) { starts.append(i) }
            previousEmpty = end == i || (end == i + 1 && bytes[i] == 13)
            i = end < bytes.endIndex ? end + 1 : end
        }
        for (n, start) in starts.enumerated() {
            let stop = n + 1 < starts.count ? starts[n + 1] : bytes.endIndex
            var lineEnd = start
            while lineEnd < stop && bytes[lineEnd] != 10 { lineEnd += 1 }
            let message = Self.unquoteFromLines(bytes[min(lineEnd + 1, stop)..<stop])
            readMessage(MIMEPart(message[...]), source: "\(source) (message \(n + 1))")
        }
    }

    private func readMessage(_ message: MIMEPart, source: String) {
        var attachments: [MIMEPart] = []
        Self.collectAttachments(message, into: &attachments, depth: 0)
        let context = Context(submitter: message.header("tls-report-submitter"))
        let (type, parameters) = message.contentType
        if attachments.isEmpty {
            let isTLSReportMessage = (type == "multipart/report" && parameters["report-type"]?.lowercased() == "tlsrpt")
                || message.header("tls-report-domain") != nil
            let subject = message.header("subject").map { " (\"\($0.prefix(60))\")" } ?? ""
            if isTLSReportMessage {
                reject(source, "a TLS report message\(subject) with no application/tlsrpt+gzip or application/tlsrpt+json attachment")
            } else {
                set.skipped.append(TLSReportRejection(source: source, reason: "no TLS report in this message\(subject)"))
            }
            return
        }
        for attachment in attachments {
            let name = attachment.fileName
            let where_ = "\(source) [\(name ?? attachment.contentType.type)]"
            switch attachment.decodedBody() {
            case .failure(let rejection): reject(where_, rejection.reason)
            case .success(let bytes):
                readInput(bytes[...], source: where_, context: Context(fileName: name, submitter: context.submitter), depth: 0)
            }
        }
    }

    /// Report attachments: the media types of RFC 8460 section 5.3, or a generic type with a report's file name
    /// (`.json`, `.json.gz`) as some senders and forwarders label them.
    private static func collectAttachments(_ part: MIMEPart, into found: inout [MIMEPart], depth: Int) {
        guard depth < 16 else { return }
        let type = part.contentType.type
        if type.hasPrefix("multipart/") {
            for child in part.parts() { collectAttachments(child, into: &found, depth: depth + 1) }
        } else if type == "message/rfc822" {
            if case .success(let bytes) = part.decodedBody() { collectAttachments(MIMEPart(bytes[...]), into: &found, depth: depth + 1) }
        } else if type == "application/tlsrpt+gzip" || type == "application/tlsrpt+json" {
            found.append(part)
        } else if let name = part.fileName?.lowercased(), name.hasSuffix(".json") || name.hasSuffix(".json.gz"),
                  type.hasPrefix("application/") || type == "text/plain" {
            found.append(part)
        }
    }

    private func inflate(_ bytes: ArraySlice<UInt8>, source: String) -> Result<[UInt8], TLSReportRejection> {
        do {
            let gzip = try GzipByteSource(wrapping: MemoryByteSource(bytes, name: source), inputBufferSize: max(bytes.count, 64))
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count * 8)
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = try chunk.withUnsafeMutableBytes { try gzip.read(into: $0) }
                if n == 0 { break }
                out.append(contentsOf: chunk[0..<n])
                if out.count > maximumInflatedSize {
                    return .failure(TLSReportRejection(source: source, reason: "more than \(maximumInflatedSize >> 20) MiB once inflated: not a TLS report"))
                }
            }
            return .success(out)
        } catch let error as LogReadError {
            let reason: String
            switch error {
            case .truncatedGzip(_, let n): reason = "the gzip data is truncated (cut off before its end after \(n) bytes)"
            case .corruptGzip(_, let why): reason = "not valid gzip data: \(why)"
            default: reason = error.description
            }
            return .failure(TLSReportRejection(source: source, reason: reason))
        } catch {
            return .failure(TLSReportRejection(source: source, reason: "\(error)"))
        }
    }

    /// A header's first line: a field name of printable characters, then a colon.
    private static func looksLikeHeader(_ bytes: ArraySlice<UInt8>) -> Bool {
        for b in bytes.prefix(200) {
            if b == 58 { return true }
            if b <= 32 || b >= 127 { return false }
        }
        return false
    }

    /// mboxrd: a body line ">From " (any number of '>') was quoted on delivery; one '>' comes off.
    private static func unquoteFromLines(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var atLineStart = true
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if atLineStart && bytes[i] == 62 {
                var j = i
                while j < bytes.endIndex && bytes[j] == 62 { j += 1 }
                if bytes[j...].starts(with: Array("From ".utf8)) { i += 1 }
            }
            let b = bytes[i]
            out.append(b)
            atLineStart = b == 10
            i += 1
        }
        return out
    }

    /// `google.com!example.org!1733011200!1733097599!001.json.gz`: the third field is the start, in seconds.
    static func startInFileName(_ name: String) -> Date? {
        let fields = name.split(separator: "!")
        guard fields.count >= 4, let seconds = Int(fields[2]), seconds > 0 else { return nil }
        return Date(timeIntervalSince1970: Double(seconds))
    }
}
