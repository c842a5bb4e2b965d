import COpenSSL
import Foundation
import PostlsCore

/// Which roots a verification trusts: the system store (like `openssl verify` with no -CAfile), or a
/// PEM bundle of trust anchors (a private or test CA, like `-CAfile`).
public enum TrustAnchors: Sendable, Equatable {
    case system
    case file(String)
}

/// OpenSSL's X509 verify result: the same code and text `openssl verify` and `s_client` print.
public struct VerifyResult: Codable, Sendable, Equatable {
    public var code: Int
    public var message: String
    public init(code: Int, message: String) { self.code = code; self.message = message }

    public var isOK: Bool { code == 0 }

    public init(code: Int) {
        self.code = code
        self.message = String(cString: X509_verify_cert_error_string(code))
    }

    // The codes postls reasons about are `VerifyCode`'s (PostlsCore), the one list.
}

/// Verifies a chain against trust anchors with OpenSSL's X509_verify_cert.
public enum ChainVerifier {
    /// Whose verify code to reproduce. `openssl verify` stops at the first error; a TLS client such as
    /// `openssl s_client` (and the probe) carries on past each error and reports the last one, so a leaf served
    /// without its issuer is 20 for the first and 21 for the second.
    public enum Mode: Sendable { case verifyCommand, tlsClient }

    /// - Parameters:
    ///   - leaf: the end-entity certificate.
    ///   - intermediates: the other certificates as served or as found in the chain file (untrusted).
    ///   - trust: the roots.
    ///   - at: verification time (default now), for "would this verify next month".
    ///   - hostname: when given, OpenSSL also checks the name (code 62 on mismatch).
    public static func verify(leaf: Certificate, intermediates: [Certificate] = [], trust: TrustAnchors = .system,
                              at date: Date? = nil, hostname: String? = nil, mode: Mode = .verifyCommand) throws -> VerifyResult {
        let store = try makeStore(trust)
        defer { X509_STORE_free(store) }
        guard let ctx = X509_STORE_CTX_new() else {
            throw TLSKitError.openssl(operation: "X509_STORE_CTX_new", errors: drainOpenSSLErrors())
        }
        defer { X509_STORE_CTX_free(ctx) }
        guard let untrusted = COpenSSL_sk_X509_new_null() else {
            throw TLSKitError.openssl(operation: "sk_X509_new_null", errors: drainOpenSSLErrors())
        }
        defer { COpenSSL_sk_X509_free(untrusted) }  // the stack only borrows the certificates
        for cert in intermediates { _ = COpenSSL_sk_X509_push(untrusted, cert.pointer) }
        guard X509_STORE_CTX_init(ctx, store, leaf.pointer, untrusted) == 1 else {
            throw TLSKitError.openssl(operation: "X509_STORE_CTX_init", errors: drainOpenSSLErrors())
        }
        if let param = X509_STORE_CTX_get0_param(ctx) {
            if let date { X509_VERIFY_PARAM_set_time(param, time_t(date.timeIntervalSince1970)) }
            if let hostname { X509_VERIFY_PARAM_set1_host(param, hostname, hostname.utf8.count) }
        }
        if mode == .tlsClient {
            // s_client's callback: note the error, keep verifying; the last error is the result.
            X509_STORE_CTX_set_verify_cb(ctx) { _, _ in 1 }
        }
        _ = X509_verify_cert(ctx)
        let code = Int(X509_STORE_CTX_get_error(ctx))
        _ = drainOpenSSLErrors()
        return VerifyResult(code: code)
    }

    static func makeStore(_ trust: TrustAnchors) throws -> OpaquePointer {
        guard let store = X509_STORE_new() else {
            throw TLSKitError.openssl(operation: "X509_STORE_new", errors: drainOpenSSLErrors())
        }
        switch trust {
        case .system:
            X509_STORE_set_default_paths(store)
        case .file(let path):
            guard FileManager.default.isReadableFile(atPath: path) else {
                X509_STORE_free(store)
                throw TLSKitError.file(path: path, errno: access(path, F_OK) == 0 ? EACCES : ENOENT)
            }
            if X509_STORE_load_file(store, path) != 1 {
                let errors = drainOpenSSLErrors()
                X509_STORE_free(store)
                throw TLSKitError.openssl(operation: "loading trust anchors from \(path)", errors: errors)
            }
        }
        _ = drainOpenSSLErrors()
        return store
    }
}
