/// Exit codes of postls (`man postls`, EXIT STATUS) (check uses the monitoring-plugin codes instead).
public enum ExitCode: Int32, Sendable {
    case ok = 0
    case warnings = 1
    case critical = 2
    case usage = 64
    case inputUnreadable = 66
    case internalError = 70

    public init(worst: Severity?) {
        switch worst {
        case .critical: self = .critical
        case .warning: self = .warnings
        default: self = .ok
        }
    }
}
