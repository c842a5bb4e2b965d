import Foundation
import PostlsCore

/// SMTP TLS reports (RFC 8460) in the shapes real senders mail them, and a real Postfix that delivers them to a
/// Maildir and an mbox: test data for TLSReportsTests and the CLI tests.
public enum TLSReportSamples {
    /// Google's shape: every field, `mx-host` as a list, failure details with both addresses, and a
    /// `no-policy-found` policy without failure details.
    public static func google(domain: String = "reports.test", day: String = "2026-12-01", hostMismatch: Int = 5,
                              starttls: Int = 2, successful: Int = 1200) -> String {
        """
        {"organization-name":"Google Inc.","date-range":{"start-datetime":"\(day)T00:00:00Z","end-datetime":"\(day)T23:59:59Z"},\
        "contact-info":"smtp-tls-reporting@google.com","report-id":"\(day)T00:00:00Z_\(domain)",\
        "policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing","mx: mx1.\(domain)","max_age: 86400"],\
        "policy-domain":"\(domain)","mx-host":["mx1.\(domain)"]},\
        "summary":{"total-successful-session-count":\(successful),"total-failure-session-count":\(hostMismatch + starttls)},\
        "failure-details":[{"result-type":"certificate-host-mismatch","sending-mta-ip":"209.85.128.70","receiving-ip":"192.0.2.25",\
        "receiving-mx-hostname":"mx1.\(domain)","failed-session-count":\(hostMismatch)},\
        {"result-type":"starttls-not-supported","sending-mta-ip":"209.85.221.70","receiving-ip":"192.0.2.26",\
        "receiving-mx-hostname":"mx2.\(domain)","failed-session-count":\(starttls)}]}]}
        """
    }

    /// Microsoft's shape: a report-id of digits and the domain, no `mx-host`, failure details with neither
    /// `sending-mta-ip` nor `receiving-ip`, pretty-printed.
    public static func microsoft(domain: String = "reports.test", day: String = "2026-12-01", fetchErrors: Int = 3,
                                 mode: String = "enforce") -> String {
        """
        {
          "organization-name": "Microsoft Corporation",
          "date-range": {
            "start-datetime": "\(day)T00:00:00Z",
            "end-datetime": "\(day)T23:59:59Z"
          },
          "contact-info": "tlsrpt-noreply@microsoft.com",
          "report-id": "133944884956529435+\(domain)",
          "policies": [
            {
              "policy": {
                "policy-type": "sts",
                "policy-string": ["version: STSv1", "mode: \(mode)", "mx: mx1.\(domain)", "max_age: 604800"],
                "policy-domain": "\(domain)"
              },
              "summary": {
                "total-successful-session-count": 40,
                "total-failure-session-count": \(fetchErrors)
              },
              "failure-details": [
                {
                  "result-type": "sts-policy-fetch-error",
                  "failed-session-count": \(fetchErrors)
                }
              ]
            }
          ]
        }
        """
    }

    /// A report whose failure count is not a number: to be rejected with that reason.
    public static let malformed = """
        {"organization-name":"Broken Sender","date-range":{"start-datetime":"2026-12-01T00:00:00Z","end-datetime":"2026-12-01T23:59:59Z"},\
        "report-id":"broken-1","policies":[{"policy":{"policy-type":"sts","policy-domain":"reports.test"},\
        "summary":{"total-successful-session-count":1,"total-failure-session-count":"many"}}]}
        """

    /// gzip-compressed by the real gzip program.
    public static func gzip(_ text: String) throws -> Data {
        let dir = try TemporaryDirectory(prefix: "postls-gzip")
        let file = try dir.write("report.json", text)
        let out = try SystemProcessRunner().run("gzip", ["-n", "-9", file], timeout: 30)
        guard out.status == 0 else { throw HarnessError.startFailed("gzip: \(out.stderr)") }
        return try Data(contentsOf: URL(fileURLWithPath: file + ".gz"))
    }

    /// A message as Google sends one: multipart/report; report-type=tlsrpt, a text part, then the gzip report
    /// base64-encoded in 76-character lines, named sender!domain!begin!end!id.json.gz.
    public static func googleMessage(gz: Data, domain: String = "reports.test", to: String) -> String {
        let boundary = "000000000000a648cf065359e4e6"
        return """
            From: noreply-smtp-tls-reporting@google.com
            To: \(to)
            Subject: Report Domain: \(domain) Submitter: google.com Report-ID: <2026.12.01T00.00.00Z+\(domain)@google.com>
            TLS-Report-Domain: \(domain)
            TLS-Report-Submitter: google.com
            MIME-Version: 1.0
            Content-Type: multipart/report; boundary="\(boundary)"; report-type=tlsrpt

            --\(boundary)
            Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes

            This is an aggregate TLS report from google.com

            --\(boundary)
            Content-Type: application/tlsrpt+gzip;\u{20}
            \tname="google.com!\(domain)!1796083200!1796169599!001.json.gz"
            Content-Disposition: attachment;\u{20}
            \tfilename="google.com!\(domain)!1796083200!1796169599!001.json.gz"
            Content-Transfer-Encoding: base64

            \(gz.base64EncodedString(options: .lineLength76Characters).replacingOccurrences(of: "\r\n", with: "\n"))
            --\(boundary)--

            """
    }

    /// A message as Microsoft sends one: the report part inside a multipart/mixed inside the multipart/report
    /// (nesting), a quoted boundary with underscores, base64 in 72-character lines.
    public static func microsoftMessage(gz: Data, domain: String = "reports.test", to: String) -> String {
        let outer = "_a737a3b9-5ea5-40e8-a971-a67ecbb2993e_"
        let inner = "_b2a6f1c0-inner_"
        let base64 = gz.base64EncodedString().chunked(72).joined(separator: "\n")
        return """
            From: tlsrpt-noreply@microsoft.com
            To: \(to)
            Subject: Report Domain: \(domain) Submitter: microsoft.com Report-ID:
             133944884956529435+\(domain)
            TLS-Report-Domain: \(domain)
            TLS-Report-Submitter: microsoft.com
            MIME-Version: 1.0
            Content-Type: multipart/report;
            \tboundary="\(outer)"; report-type=tlsrpt

            --\(outer)
            Content-Type: text/plain; charset="us-ascii"

            This is an aggregate TLS report from microsoft.com

            --\(outer)
            Content-Type: multipart/mixed; boundary="\(inner)"

            --\(inner)
            Content-Type: application/tlsrpt+gzip;
            \tname="microsoft.com!\(domain)!1796083200!1796169599!133944884956529435.json.gz"
            Content-Disposition: attachment;
            \tfilename="microsoft.com!\(domain)!1796083200!1796169599!133944884956529435.json.gz"
            Content-Transfer-Encoding: base64

            \(base64)
            --\(inner)--

            --\(outer)--

            """
    }

    /// A report message whose attachment is plain JSON (application/tlsrpt+json) in quoted-printable.
    public static func jsonMessage(json: String, submitter: String, to: String) -> String {
        let qp = json.replacingOccurrences(of: "=", with: "=3D").chunked(70).joined(separator: "=\n")
        return """
            From: tlsrpt@\(submitter)
            To: \(to)
            Subject: Report Domain: reports.test Submitter: \(submitter)
            TLS-Report-Submitter: \(submitter)
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type="tlsrpt"; boundary=plain-boundary

            --plain-boundary
            Content-Type: text/plain

            A TLS report.
            --plain-boundary
            Content-Type: application/tlsrpt+json; name=report.json
            Content-Transfer-Encoding: quoted-printable

            \(qp)
            --plain-boundary--

            """
    }

    /// Ordinary mail that shares the mailbox.
    public static func plainMessage(to: String) -> String {
        "From: someone@example.org\nTo: \(to)\nSubject: lunch\n\nNot a report.\n"
    }
}

extension String {
    func chunked(_ size: Int) -> [String] {
        var out: [String] = []
        var rest = Substring(self)
        while !rest.isEmpty { out.append(String(rest.prefix(size))); rest = rest.dropFirst(size) }
        return out
    }
}

/// A throwaway Postfix that accepts mail for reports.test over SMTP and delivers it with its virtual(8) agent:
/// tlsrpt@ to a Maildir, archive@ to an mbox file.
public final class ReportMailbox: @unchecked Sendable {
    public let postfix: PostfixInstance
    public let mailRoot: TemporaryDirectory
    public var maildir: String { mailRoot.file("maildir") }
    public var mbox: String { mailRoot.file("archive.mbox") }
    public static let maildirAddress = "tlsrpt@reports.test"
    public static let mboxAddress = "archive@reports.test"

    public init() throws {
        mailRoot = try TemporaryDirectory(prefix: "postls-mailboxes")
        // virtual(8) delivers as nobody: the base must be theirs.
        if let pw = getpwnam("nobody") { chown(mailRoot.path, pw.pointee.pw_uid, pw.pointee.pw_gid) }
        postfix = try PostfixInstance(mainCF: """
            virtual_mailbox_domains = reports.test
            virtual_mailbox_base = \(mailRoot.path)
            virtual_mailbox_maps = inline:{ \(Self.maildirAddress)=maildir/, \(Self.mboxAddress)=archive.mbox }
            virtual_uid_maps = static:65534
            virtual_gid_maps = static:65534
            virtual_minimum_uid = 100
            """, listeners: [PostfixListener(name: "smtp")])
        try postfix.start()
    }

    /// Sends a whole message (headers and body) with swaks, as a sender's MTA would.
    public func deliver(_ message: String, to address: String = ReportMailbox.maildirAddress, from: String = "reports@sender.example") throws {
        try swaks(["--from", from, "--to", address, "--data", "-"], stdin: Data(message.utf8))
    }

    /// Attaches a file with swaks's own MIME encoder (multipart/mixed, base64): a third way to wrap a report.
    public func deliverAttachment(file: String, type: String, to address: String = ReportMailbox.maildirAddress) throws {
        try swaks(["--from", "tlsrpt@other.example", "--to", address, "--attach-type", type, "--attach", "@" + file], stdin: nil)
    }

    private func swaks(_ arguments: [String], stdin: Data?) throws {
        let server = ["--server", "127.0.0.1", "--port", String(postfix.listeners[0].port), "--silent", "2"]
        let out = try SystemProcessRunner().run("swaks", server + arguments, stdin: stdin, environment: nil, timeout: 60)
        guard out.status == 0 else { throw HarnessError.startFailed("swaks: \(out.stdout)\(out.stderr)") }
    }

    /// Waits until `count` messages sit in the Maildir's new/ (virtual(8) delivers asynchronously).
    @discardableResult
    public func waitForMaildir(count: Int, timeout: Double = 30) -> Bool {
        let deadline = Deadline.after(seconds: timeout)
        repeat {
            if ((try? FileManager.default.contentsOfDirectory(atPath: maildir + "/new")) ?? []).count >= count { return true }
            usleep(50_000)
        } while !deadline.hasPassed
        return false
    }

    /// Waits until the mbox holds `count` messages.
    @discardableResult
    public func waitForMbox(count: Int, timeout: Double = 30) -> Bool {
        let deadline = Deadline.after(seconds: timeout)
        repeat {
            let text = (try? String(contentsOfFile: mbox, encoding: .utf8)) ?? ""
            if text.split(separator: "\n", omittingEmptySubsequences: false).filter({ $0.hasPrefix("From ") }).count >= count { return true }
            usleep(50_000)
        } while !deadline.hasPassed
        return false
    }

    public func stop() { postfix.stop(); mailRoot.remove() }
}
