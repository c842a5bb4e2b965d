import COpenSSL
import Foundation
import PostlsCore

/// Message digests over bytes (what DANE TLSA matching types 1 and 2 need).
public enum Digest: Sendable {
    case sha256, sha512

    /// The digest of `bytes`; empty only if OpenSSL fails, which it does not for these algorithms.
    public func hash(_ bytes: [UInt8]) -> [UInt8] {
        var md = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &md, &length, self == .sha256 ? EVP_sha256() : EVP_sha512(), nil)
        }
        _ = drainOpenSSLErrors()
        return ok == 1 ? Array(md.prefix(Int(length))) : []
    }

    /// Lower-case hex of the digest.
    public func hexHash(_ bytes: [UInt8]) -> String { hex(hash(bytes)) }
}

extension Certificate {
    /// DER SubjectPublicKeyInfo of the certificate's key (DANE selector 1).
    public var publicKeyDER: [UInt8] {
        guard let pubkey = X509_get_X509_PUBKEY(pointer) else { return [] }
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509_PUBKEY(pubkey, &out)
        guard length > 0, let out else { _ = drainOpenSSLErrors(); return [] }
        defer { COpenSSL_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }
}

extension PrivateKey {
    /// DER SubjectPublicKeyInfo of the public half (what a DANE `3 1 x` record pins). Never the private key.
    public var publicKeyDER: [UInt8] {
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(pointer, &der)
        guard length > 0, let der else { _ = drainOpenSSLErrors(); return [] }
        defer { COpenSSL_free(der) }
        return Array(UnsafeBufferPointer(start: der, count: Int(length)))
    }
}
