@testable import MailLog
import Testing

@Test("the trigger scan finds a word at every offset of lines of every length, and nothing in plain text")
func triggerScanAllOffsets() {
    for length in 3...80 {
        let plain = [UInt8](repeating: UInt8(ascii: "a"), count: length)
        #expect(!plain.withUnsafeBufferPointer { TriggerScan.mayMatter($0.baseAddress!, length) })
        for at in 0...(length - 3) {
            var line = plain
            line[at] = UInt8(ascii: "T"); line[at + 1] = UInt8(ascii: "L"); line[at + 2] = UInt8(ascii: "S")
            #expect(line.withUnsafeBufferPointer { TriggerScan.mayMatter($0.baseAddress!, length) }, "length \(length) at \(at)")
        }
    }
    // A trigger byte that starts no word is not a hit, wherever it is.
    let text = Array("Apr  3 07:30:47 mx postfix/qmgr[812]: 4F2A31C0B3: from=<Sender@example.org>, size=1012, nrcpt=1 (queue active)".utf8)
    #expect(!text.withUnsafeBufferPointer { TriggerScan.mayMatter($0.baseAddress!, text.count) })
}
