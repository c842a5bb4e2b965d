/// postls's own version, printed by `postls version` and in reports.
public enum PostlsVersion {
    public static let string = "0.1.0"
}
