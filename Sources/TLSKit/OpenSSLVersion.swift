import COpenSSL

/// The OpenSSL library this binary runs with (not the headers it was built against).
public enum OpenSSLInfo {
    /// e.g. "OpenSSL 3.0.19 27 Jan 2026"
    public static var versionText: String { String(cString: COpenSSL_version_text()) }
    /// OPENSSL_VERSION_NUMBER of the running library, e.g. 0x30000130.
    public static var versionNumber: UInt { UInt(COpenSSL_version_num()) }
}
