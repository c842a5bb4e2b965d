import Foundation
import Testing
@testable import PostfixConfig

@Suite struct RoundTripTests {
    static var corpusFiles: [String] { Corpus.cases.flatMap { ["\($0)/main.cf", "\($0)/master.cf"] } }

    @Test(arguments: corpusFiles)
    func corpusFileRendersByteForByte(_ file: String) throws {
        let bytes = Array(try Data(contentsOf: Corpus.root.appendingPathComponent(file)))
        #expect(MainCF(bytes: bytes).render() == bytes)
        #expect(MasterCF(bytes: bytes).render() == bytes)
    }

    @Test func corpusHasAtLeastTwentyCases() {
        #expect(Corpus.cases.count >= 20)
    }

    @Test(arguments: Corpus.systemFiles)
    func installedPostfixFileRendersByteForByte(_ path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let bytes = Array(data)
        #expect(MainCF(bytes: bytes).render() == bytes)
        #expect(MasterCF(bytes: bytes).render() == bytes)
    }

    /// Random mutations (inserted bytes that matter to the parser, deleted and duplicated spans)
    /// of every corpus file still render to exactly their own bytes, and the physical lines tile the input.
    @Test func randomMutationsRenderByteForByte() throws {
        var generator = SeededGenerator(seed: 0x5EED_CAFE)
        let interesting: [UInt8] = Array(" \t\r\n#={}$:?()-o,\\\"".utf8) + [0, 0xFF, 0xC3, 0x0B, 0x0C]
        var checked = 0
        for file in Self.corpusFiles {
            let original = Array(try Data(contentsOf: Corpus.root.appendingPathComponent(file)))
            for _ in 0..<40 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    let position = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &generator)
                    switch Int.random(in: 0..<4, using: &generator) {
                    case 0:
                        bytes.insert(interesting.randomElement(using: &generator)!, at: position)
                    case 1 where !bytes.isEmpty:
                        let end = min(bytes.count, position + Int.random(in: 1...40, using: &generator))
                        bytes.removeSubrange(min(position, end)..<end)
                    case 2 where !bytes.isEmpty:
                        let start = min(position, bytes.count - 1)
                        let end = min(bytes.count, start + Int.random(in: 1...80, using: &generator))
                        bytes.insert(contentsOf: bytes[start..<end], at: Int.random(in: 0...bytes.count, using: &generator))
                    default:
                        bytes.insert(UInt8.random(in: 0...255, using: &generator), at: position)
                    }
                }
                let main = MainCF(bytes: bytes), master = MasterCF(bytes: bytes)
                #expect(main.render() == bytes)
                #expect(master.render() == bytes)
                var cursor = 0
                for line in main.lines {
                    #expect(line.start == cursor)
                    cursor = line.fullEnd
                }
                #expect(cursor == bytes.count)
                checked += 1
            }
        }
        #expect(checked >= 40 * 40)
    }
}
