import Testing
@testable import TLSProbe

@Suite("SMTP reply parsing")
struct SMTPReplyTests {
    @Test func multiLineEHLOReplyBecomesOneReplyWithCapabilities() throws {
        let text = "250-mail.postls.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
        let replies = try SMTPReplyAccumulator.parse(text)
        #expect(replies.count == 1)
        let reply = try #require(replies.first)
        #expect(reply.code == 250)
        #expect(reply.lines.count == 6)
        #expect(reply.ehloCapabilities["STARTTLS"] == [])
        #expect(reply.ehloCapabilities["AUTH"] == ["PLAIN", "LOGIN"])
        #expect(reply.ehloCapabilities["SIZE"] == ["10240000"])
        #expect(reply.ehloCapabilities["MAIL.POSTLS.TEST"] == nil, "the first line is the server's name, not a keyword")
    }

    @Test func bareLineFeedsAndMissingTextAreAccepted() throws {
        let replies = try SMTPReplyAccumulator.parse("220-first\n220 second\n250\n")
        #expect(replies == [SMTPReply(code: 220, lines: ["first", "second"]), SMTPReply(code: 250, lines: [""])])
        #expect(replies[0].firstLine == "220 first")
    }

    @Test func multiLineGreetingKeepsEveryLine() throws {
        let replies = try SMTPReplyAccumulator.parse("220-mail.example.org ESMTP\r\n220-No UCE\r\n220 Go ahead\r\n")
        #expect(replies.first?.lines == ["mail.example.org ESMTP", "No UCE", "Go ahead"])
        #expect(replies.first?.description == "220-mail.example.org ESMTP\n220-No UCE\n220 Go ahead")
    }

    @Test func textEndingInsideAReplyIsIncomplete() {
        #expect(throws: SMTPReplyError.incomplete(partial: SMTPReply(code: 250, lines: ["mail", "PIPELINING"]))) {
            try SMTPReplyAccumulator.parse("250-mail\r\n250-PIPELINING\r\n")
        }
    }

    @Test func endlessMultiLineReplyIsBoundedByLineCount() {
        let endless = String(repeating: "250-X\r\n", count: 1000)
        #expect(throws: SMTPReplyError.tooLong(lines: 100, bytes: 700)) { try SMTPReplyAccumulator.parse(endless) }
    }

    @Test func endlessMultiLineReplyIsBoundedByBytes() {
        let line = "250-" + String(repeating: "A", count: 1000) + "\r\n"
        #expect(throws: SMTPReplyError.self) { try SMTPReplyAccumulator.parse(String(repeating: line, count: 90), maxBytes: 10_000) }
        do {
            _ = try SMTPReplyAccumulator.parse(String(repeating: line, count: 90), maxBytes: 10_000)
        } catch let SMTPReplyError.tooLong(lines, bytes) {
            #expect(lines == 10)
            #expect(bytes >= 10_000)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test(arguments: ["HTTP/1.1 400 Bad Request", "22", "2x0 hello", "250_x"])
    func linesThatAreNotRepliesAreMalformed(_ line: String) {
        #expect(throws: SMTPReplyError.malformed(line: line)) { try SMTPReplyAccumulator.parse(line + "\r\n") }
    }

    @Test func continuationWithAnotherCodeIsInconsistent() {
        #expect(throws: SMTPReplyError.inconsistentCode(expected: 250, line: "251 x")) {
            try SMTPReplyAccumulator.parse("250-a\r\n251 x\r\n")
        }
    }

    @Test func replyClassesFollowTheFirstDigit() {
        #expect(SMTPReply(code: 220, lines: []).isPositive)
        #expect(SMTPReply(code: 421, lines: []).isTransientFailure)
        #expect(SMTPReply(code: 454, lines: []).isTransientFailure)
        #expect(SMTPReply(code: 554, lines: []).isPermanentFailure)
    }
}
