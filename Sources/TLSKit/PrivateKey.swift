import COpenSSL
import Foundation

/// A private key, owned and freed exactly once. It never exposes key material: only its type,
/// size, and whether it matches a certificate.
public final class PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer  // EVP_PKEY *

    init(owning pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    /// Loads the first private key from a PEM file. An encrypted key is reported, never prompted for.
    public static func load(pemFile path: String) throws -> PrivateKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            let e = errno
            if access(path, F_OK) != 0 { throw TLSKitError.file(path: path, errno: ENOENT) }
            throw TLSKitError.file(path: path, errno: e == 0 ? EACCES : e)
        }
        return try data.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(clamping: raw.count)) else {
                throw TLSKitError.openssl(operation: "BIO_new_mem_buf", errors: drainOpenSSLErrors())
            }
            defer { BIO_free(bio) }
            // A callback that supplies no passphrase: OpenSSL must never prompt on the admin's terminal.
            let noPassphrase: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { _, _, _, _ in 0 }
            guard let key = PEM_read_bio_PrivateKey(bio, nil, noPassphrase, nil) else {
                let errors = drainOpenSSLErrors()
                if errors.contains(where: { $0.reason.contains("no start line") }) {
                    throw TLSKitError.notPEM(path: path, expected: "private key")
                }
                throw TLSKitError.openssl(operation: "reading the private key in \(path)", errors: errors)
            }
            _ = drainOpenSSLErrors()
            return PrivateKey(owning: key)
        }
    }

    public var type: String { Self.typeName(pointer) }
    public var bits: Int { Int(EVP_PKEY_get_bits(pointer)) }
    public var description: String { Self.describe(pointer) }

    /// Whether this key is the private half of the certificate's public key.
    public func matches(_ certificate: Certificate) -> Bool {
        guard let pub = X509_get0_pubkey(certificate.pointer) else { return false }
        let result = EVP_PKEY_eq(pub, pointer) == 1
        _ = drainOpenSSLErrors()
        return result
    }

    static func typeName(_ key: OpaquePointer) -> String {
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS: return "RSA"
        case EVP_PKEY_EC: return "EC"
        case EVP_PKEY_ED25519: return "ED25519"
        case EVP_PKEY_ED448: return "ED448"
        case EVP_PKEY_DSA: return "DSA"
        default: return "unknown"
        }
    }

    static func describe(_ key: OpaquePointer) -> String {
        let type = typeName(key)
        let bits = Int(EVP_PKEY_get_bits(key))
        if type == "EC" {
            var buffer = [CChar](repeating: 0, count: 64)
            var length = 0
            if EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, &buffer, buffer.count, &length) == 1 {
                let curve = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                return "EC \(bits) (\(curve))"
            }
            _ = drainOpenSSLErrors()
        }
        return "\(type) \(bits)"
    }
}
