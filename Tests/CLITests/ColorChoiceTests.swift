import PostlsCore
import Testing

/// The one colour rule every command and the wizard's theme use (no-color.org).
struct ColorChoiceTests {
    @Test(arguments: [
        (flag: false, environment: [String: String](), terminal: true, color: true),
        (flag: true, environment: [:], terminal: true, color: false),
        (flag: false, environment: ["NO_COLOR": "1"], terminal: true, color: false),
        (flag: false, environment: ["NO_COLOR": ""], terminal: true, color: true),
        (flag: false, environment: [:], terminal: false, color: false),
        (flag: false, environment: ["NO_COLOR": ""], terminal: false, color: false),
    ])
    func colourOnlyOnATerminalWithoutTheFlagOrANonEmptyNO_COLOR(flag: Bool, environment: [String: String], terminal: Bool, color: Bool) {
        #expect(ColorChoice.useColor(noColorFlag: flag, environment: environment, outputIsColorTerminal: terminal) == color)
    }
}
