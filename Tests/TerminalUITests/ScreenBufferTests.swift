import Testing
import TerminalUI

struct ScreenBufferTests {
    @Test("East Asian wide characters take two cells and the text dump stays aligned")
    func wideCharacters() {
        var b = ScreenBuffer(width: 10, height: 1)
        let used = b.write("日本a", x: 0, y: 0)
        #expect(used == 5)
        #expect(b[0, 0].character == "日" && b[1, 0].isContinuation)
        #expect(b[2, 0].character == "本" && b[3, 0].isContinuation)
        #expect(b[4, 0].character == "a")
        #expect(b.dump() == ["日本a"])
        #expect(CharacterWidth.of("日本a") == 5)
        #expect(CharacterWidth.of("é") == 1)
    }

    @Test("a wide character that would cross the clip edge becomes a space")
    func wideCharacterAtEdge() {
        var b = ScreenBuffer(width: 5, height: 1)
        b.write("ab日本", x: 0, y: 0, width: 3)
        #expect(b.dump() == ["ab"])
        #expect(!b[3, 0].isContinuation)
        var c = ScreenBuffer(width: 3, height: 1)
        c.write("a日", x: 1, y: 0)
        #expect(c[2, 0].character == " " && !c[2, 0].isContinuation)
    }

    @Test("overwriting half of a wide character blanks the other half")
    func overwriteHalf() {
        var b = ScreenBuffer(width: 4, height: 1)
        b.write("日", x: 0, y: 0)
        b.write("x", x: 1, y: 0)
        #expect(b[0, 0].character == " " && b[1, 0].character == "x" && !b[1, 0].isContinuation)
        b.write("本", x: 2, y: 0)
        b.write("y", x: 2, y: 0)
        #expect(b[3, 0].character == " " && !b[3, 0].isContinuation)
    }

    @Test("text is clipped at the width, with an ellipsis when asked")
    func clippingAndEllipsis() {
        var b = ScreenBuffer(width: 12, height: 2)
        b.write("smtpd_tls_protocols", x: 0, y: 0, width: 8)
        b.write("smtpd_tls_protocols", x: 0, y: 1, width: 8, ellipsis: "…")
        #expect(b.dump() == ["smtpd_tl", "smtpd_t…"])
        var c = ScreenBuffer(width: 12, height: 1)
        c.write("short", x: 0, y: 0, width: 8, ellipsis: "…")
        #expect(c.dump() == ["short"])
    }

    @Test("spans clip as one line and mark the cut")
    func spansClip() {
        var b = ScreenBuffer(width: 10, height: 1)
        b.write([Span("CRIT", Style(.critical, [.bold])), Span("  main.cf:34")], x: 0, y: 0, ellipsis: "~")
        #expect(b.dump() == ["CRIT  mai~"])
        #expect(b[0, 0].style == Style(.critical, [.bold]))
        #expect(b[6, 0].style == .normal)
    }

    @Test("control characters from data never reach the terminal")
    func controlCharacters() {
        var b = ScreenBuffer(width: 6, height: 1)
        b.write("a\u{16}\u{03}b", x: 0, y: 0)
        #expect(b.dump() == ["a??b"])
    }

    @Test("boxes use line drawing, or ASCII when the locale is not UTF-8")
    func boxes() {
        var u = ScreenBuffer(width: 6, height: 3)
        u.drawBox(u.bounds, glyphs: .unicode)
        #expect(u.dump() == ["┌────┐", "│    │", "└────┘"])
        var a = ScreenBuffer(width: 6, height: 3)
        a.drawBox(a.bounds, glyphs: .ascii)
        #expect(a.dump() == ["+----+", "|    |", "+----+"])
        #expect(a.dumpRoles() == ["bbbbbb", "b....b", "bbbbbb"])
    }

    @Test("the attribute layer records bold, reverse, underline and dim per cell")
    func attributeLayer() {
        var b = ScreenBuffer(width: 6, height: 1)
        b.write("ab", x: 0, y: 0, style: Style(.normal, [.bold]))
        b.write("c", x: 2, y: 0, style: Style(.normal, [.bold, .reverse, .underline, .dim]))
        b.write("d", x: 4, y: 0, style: Style(.normal, [.dim]))
        #expect(b.dumpAttributes() == ["11f.8"])
    }

    @Test("restricting to ASCII replaces wide and other non-ASCII characters")
    func restrictToASCII() {
        var b = ScreenBuffer(width: 8, height: 1)
        b.write("a…日é", x: 0, y: 0)
        b.restrictToASCII()
        #expect(b.dump() == ["a~???"])
    }

    @Test("a virtual list asks only for the rows it shows")
    func virtualListRendersVisibleRowsOnly() {
        final class Counter: @unchecked Sendable { var asked: [Int] = [] }
        let counter = Counter()
        var b = ScreenBuffer(width: 40, height: 10)
        let list = VirtualList(count: 1_000_000, selection: 500_000, top: 0, focused: true) { i in
            counter.asked.append(i)
            return [Span("row \(i)")]
        }
        let first = list.render(into: &b, rect: Rect(x: 0, y: 0, width: 40, height: 10), glyphs: .unicode)
        #expect(counter.asked.count == 10)
        #expect(first == 499_991)
        #expect(b.dump()[9].hasPrefix("▶ row 500000"))
        #expect(b[2, 9].style.attributes.contains(.reverse))
        #expect(b.dump()[0].hasSuffix("▲") && b.dump()[9].hasSuffix("▼"))
    }

    @Test("the diff viewer colors added, removed and hunk lines")
    func diffColors() {
        var b = ScreenBuffer(width: 30, height: 4)
        TextViewer(lines: ["@@ -1 +1 @@", "-old", "+new", " same"], mode: .diff)
            .render(into: &b, rect: b.bounds, glyphs: .unicode)
        #expect(b[0, 0].style.role == .diffHunk)
        #expect(b[0, 1].style.role == .diffRemove)
        #expect(b[0, 2].style.role == .diffAdd)
        #expect(b[0, 3].style.role == .normal)
    }
}

struct ThemeTests {
    @Test("NO_COLOR, --no-color and colorless terminals get the monochrome theme")
    func choosingMonochrome() {
        #expect(!Theme.choose(environment: ["NO_COLOR": "1"], noColorFlag: false, terminalHasColors: true).usesColor)
        #expect(Theme.choose(environment: ["NO_COLOR": ""], noColorFlag: false, terminalHasColors: true).usesColor)
        #expect(!Theme.choose(environment: [:], noColorFlag: true, terminalHasColors: true).usesColor)
        #expect(!Theme.choose(environment: [:], noColorFlag: false, terminalHasColors: false).usesColor)
        #expect(Theme.choose(environment: [:], noColorFlag: false, terminalHasColors: true).usesColor)
    }

    @Test("monochrome uses no colors, and what color tells apart, attributes still tell apart")
    func monochromeUsesAttributesOnly() {
        let mono = Theme.monochrome
        for role in ColorRole.allCases {
            let r = mono.resolve(Style(role))
            #expect(r.foreground == .terminalDefault && r.background == .terminalDefault)
        }
        #expect(mono.colorPairs.isEmpty)
        let critical = mono.resolve(Style(.critical)).attributes, normal = mono.resolve(Style(.normal)).attributes
        #expect(critical != normal)
        #expect(mono.resolve(Style(.diffAdd)).attributes != mono.resolve(Style(.diffRemove)).attributes)
        #expect(mono.resolve(Style(.tabActive)).attributes.contains(.reverse))
    }

    @Test("the color theme gives danger and success different colors")
    func colorTheme() {
        let t = Theme.standard
        #expect(t.resolve(Style(.critical)).foreground == .red)
        #expect(t.resolve(Style(.ok)).foreground == .green)
        #expect(t.resolve(Style(.normal, [.underline])).attributes == [.underline])
        #expect(t.colorPairs.count == ColorRole.allCases.count)
    }
}
