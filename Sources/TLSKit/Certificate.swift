import COpenSSL
import Foundation
import PostlsCore

/// A description of a certificate: everything postls shows, nothing secret.
public struct CertificateInfo: Codable, Sendable, Equatable {
    public var subject: String
    public var issuer: String
    public var commonName: String?
    public var san: [String]
    public var notBefore: Date
    public var notAfter: Date
    /// "RSA 2048", "EC 256 (prime256v1)", "ED25519 256"
    public var key: String
    public var keyType: String
    public var keyBits: Int
    /// e.g. "sha256WithRSAEncryption", "ecdsa-with-SHA256"
    public var signature: String
    /// Lower-case hex SHA-256 of the DER certificate.
    public var sha256: String
    /// Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo (what DANE `3 1 1` pins).
    public var spkiSHA256: String
    public var isSelfIssued: Bool
    public var isCA: Bool

    public func daysUntilExpiry(from now: Date = Date()) -> Int {
        Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }
}

/// An X509 certificate owned by Swift (freed exactly once in deinit).
public final class Certificate: @unchecked Sendable {
    let pointer: OpaquePointer  // X509 *

    /// Takes ownership of one reference.
    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    /// Adds a reference to a certificate OpenSSL owns.
    init(retaining pointer: OpaquePointer) {
        X509_up_ref(pointer)
        self.pointer = pointer
    }

    deinit { X509_free(pointer) }

    /// Every certificate in a PEM file, in file order. Private keys in the same file are skipped, never read out.
    public static func load(pemFile path: String) throws -> [Certificate] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let e = errno
            if access(path, F_OK) != 0 { throw TLSKitError.file(path: path, errno: ENOENT) }
            throw TLSKitError.file(path: path, errno: e == 0 ? EACCES : e)
        }
        let certs = try load(pem: data)
        if certs.isEmpty { throw TLSKitError.notPEM(path: path, expected: "certificate") }
        return certs
    }

    /// Every certificate in PEM data.
    public static func load(pem data: Data) throws -> [Certificate] {
        var result: [Certificate] = []
        try data.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(clamping: raw.count)) else {
                throw TLSKitError.openssl(operation: "BIO_new_mem_buf", errors: drainOpenSSLErrors())
            }
            defer { BIO_free(bio) }
            while let x = PEM_read_bio_X509(bio, nil, nil, nil) {
                result.append(Certificate(owning: x))
            }
        }
        // The last read always fails with "no start line" at the end of the data: expected, not an error.
        _ = drainOpenSSLErrors()
        return result
    }

    /// A certificate from DER bytes.
    public static func load(der: [UInt8]) throws -> Certificate {
        var x: OpaquePointer? = nil
        der.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            x = d2i_X509(nil, &p, Int(buf.count))
        }
        guard let x else { throw TLSKitError.openssl(operation: "d2i_X509", errors: drainOpenSSLErrors()) }
        return Certificate(owning: x)
    }

    // MARK: - Properties

    public var info: CertificateInfo {
        CertificateInfo(
            subject: subject, issuer: issuer, commonName: commonName, san: subjectAltNames,
            notBefore: notBefore, notAfter: notAfter, key: keyDescription, keyType: keyType, keyBits: keyBits,
            signature: signatureAlgorithm, sha256: sha256Fingerprint, spkiSHA256: spkiSHA256,
            isSelfIssued: isSelfIssued, isCA: isCA)
    }

    public var subject: String { Self.nameString(X509_get_subject_name(pointer)) }
    public var issuer: String { Self.nameString(X509_get_issuer_name(pointer)) }

    public var commonName: String? {
        guard let name = X509_get_subject_name(pointer) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
              let asn1 = X509_NAME_ENTRY_get_data(entry) else { return nil }
        return Self.asn1String(UnsafePointer(asn1))
    }

    /// DNS names and IP addresses from subjectAltName, as "DNS:..." stripped to the bare value.
    public var subjectAltNames: [String] {
        guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { COpenSSL_GENERAL_NAMES_free(names) }
        var result: [String] = []
        for i in 0..<COpenSSL_sk_GENERAL_NAME_num(names) {
            guard let name = COpenSSL_sk_GENERAL_NAME_value(names, i) else { continue }
            if let dns = COpenSSL_GENERAL_NAME_dns(name) {
                result.append(Self.asn1String(dns))
            } else if let ip = COpenSSL_GENERAL_NAME_ip(name) {
                let length = Int(ASN1_STRING_length(ip))
                guard let bytes = ASN1_STRING_get0_data(ip) else { continue }
                let buffer = Array(UnsafeBufferPointer(start: bytes, count: length))
                result.append(ipAddressText(buffer))
            }
        }
        return result
    }

    public var notBefore: Date { Self.date(X509_get0_notBefore(pointer)) }
    public var notAfter: Date { Self.date(X509_get0_notAfter(pointer)) }

    public var keyType: String {
        guard let key = X509_get0_pubkey(pointer) else { return "unknown" }
        return PrivateKey.typeName(key)
    }

    public var keyBits: Int {
        guard let key = X509_get0_pubkey(pointer) else { return 0 }
        return Int(EVP_PKEY_get_bits(key))
    }

    public var keyDescription: String {
        guard let key = X509_get0_pubkey(pointer) else { return "unknown" }
        return PrivateKey.describe(key)
    }

    public var signatureAlgorithm: String {
        let nid = X509_get_signature_nid(pointer)
        guard nid != NID_undef, let ln = OBJ_nid2ln(nid) else { return "unknown" }
        return String(cString: ln)
    }

    public var sha256Fingerprint: String {
        var md = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        X509_digest(pointer, EVP_sha256(), &md, &length)
        return hex(md.prefix(Int(length)))
    }

    /// SHA-256 of the whole DER SubjectPublicKeyInfo, as DANE `3 1 1` and `PrivateKey.spkiSHA256` compute it.
    /// (Not X509_pubkey_digest: that hashes only the key's BIT STRING, without the algorithm identifier.)
    public var spkiSHA256: String { Digest.sha256.hexHash(publicKeyDER) }

    /// Issuer name equals subject name (the usual meaning of "self-signed" in admin talk).
    public var isSelfIssued: Bool {
        X509_NAME_cmp(X509_get_subject_name(pointer), X509_get_issuer_name(pointer)) == 0
    }

    public var isCA: Bool { X509_check_ca(pointer) > 0 }

    /// DER encoding.
    public var der: [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509(pointer, &out)
        guard length > 0, let out else { return [] }
        defer { COpenSSL_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// PEM encoding (a certificate is public; this never touches keys).
    public var pem: String {
        memoryBIOText { PEM_write_bio_X509($0, pointer) }
    }

    /// Whether this certificate covers `host` as OpenSSL checks it (SAN DNS names with wildcards, then CN
    /// only when there are no DNS SANs; IP literals against IP SANs).
    public func covers(host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if isIPAddress(bare) {
            return X509_check_ip_asc(pointer, bare, 0) == 1
        }
        let trimmed = bare.hasSuffix(".") ? String(bare.dropLast()) : bare
        return X509_check_host(pointer, trimmed, trimmed.utf8.count, 0, nil) == 1
    }

    /// Whether `other` issued this certificate (names and signature).
    public func isIssued(by other: Certificate) -> Bool {
        X509_check_issued(other.pointer, pointer) == X509_V_OK
    }

    // MARK: - Helpers

    static func nameString(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        return memoryBIOText { X509_NAME_print_ex($0, name, 0, UInt(COpenSSL_XN_FLAG_RFC2253())) }
    }

    static func asn1String(_ s: UnsafePointer<ASN1_STRING>) -> String {
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = ASN1_STRING_to_UTF8(&out, s)
        guard length >= 0, let out else { return "" }
        defer { COpenSSL_free(out) }
        return String(decoding: UnsafeBufferPointer(start: out, count: Int(length)), as: UTF8.self)
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        guard let time else { return Date(timeIntervalSince1970: 0) }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return Date(timeIntervalSince1970: 0) }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

}

/// An address in network byte order as text: dotted IPv4, IPv6 as inet_ntop writes it, anything else in hex
/// (certificate iPAddress names, DNS A and AAAA data).
public func ipAddressText(_ bytes: [UInt8]) -> String {
    if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
    if bytes.count == 16 {
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    return bytes.map { String(format: "%02x", $0) }.joined()
}

func isIPAddress(_ s: String) -> Bool {
    var v4 = in_addr(), v6 = in6_addr()
    return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
}
