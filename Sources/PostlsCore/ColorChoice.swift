/// Whether text output gets ANSI colours, decided once for every command and the wizard, the way
/// no-color.org asks: no colour when `--no-color` is given, when `NO_COLOR` is set to anything non-empty,
/// or when the output is not a terminal (the wizard passes whether the terminal has colours).
public enum ColorChoice {
    public static func useColor(noColorFlag: Bool, environment: [String: String], outputIsColorTerminal: Bool) -> Bool {
        if noColorFlag || !outputIsColorTerminal { return false }
        if let value = environment["NO_COLOR"], !value.isEmpty { return false }
        return true
    }
}
