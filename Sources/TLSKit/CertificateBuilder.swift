import COpenSSL
import Foundation
import PostlsCore

/// Kinds of key postls generates (setup) and tests use.
public enum KeySpec: Sendable, Equatable, CustomStringConvertible {
    case rsa(bits: Int)
    case ecdsaP256
    case ecdsaP384

    public var description: String {
        switch self {
        case .rsa(let bits): return "RSA \(bits)"
        case .ecdsaP256: return "ECDSA P-256"
        case .ecdsaP384: return "ECDSA P-384"
        }
    }
}

public enum SignatureDigest: Sendable { case sha256, sha1 }

extension PrivateKey {
    /// Generates a new key pair.
    public static func generate(_ spec: KeySpec) throws -> PrivateKey {
        let key: OpaquePointer?
        switch spec {
        case .rsa(let bits): key = COpenSSL_RSA_gen(UInt32(bits))
        case .ecdsaP256: key = COpenSSL_EC_gen("P-256")
        case .ecdsaP384: key = COpenSSL_EC_gen("P-384")
        }
        guard let key else { throw TLSKitError.openssl(operation: "generating a \(spec) key", errors: drainOpenSSLErrors()) }
        return PrivateKey(owning: key)
    }

    /// Writes the key as PEM to a NEW file created with mode 0600 (O_EXCL: never overwrites, never follows a link).
    /// The key material goes only to that file, never to a String postls could print.
    public func writePEM(toNewFile path: String) throws {
        guard let bio = BIO_new(BIO_s_mem()) else { throw TLSKitError.openssl(operation: "BIO_new", errors: drainOpenSSLErrors()) }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil) == 1 else {
            throw TLSKitError.openssl(operation: "encoding the private key", errors: drainOpenSSLErrors())
        }
        var data: UnsafeMutablePointer<CChar>? = nil
        let length = COpenSSL_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { throw TLSKitError.openssl(operation: "encoding the private key", errors: drainOpenSSLErrors()) }
        var bytes = Array(UnsafeRawBufferPointer(start: data, count: length))
        defer { for i in bytes.indices { bytes[i] = 0 } }  // no stray copy of the key left in memory
        do { try createExclusiveFile(path, bytes: bytes, mode: 0o600) } catch { throw TLSKitError.file(path: path, errno: error.errno) }
    }

    /// PEM of the public key (SubjectPublicKeyInfo): safe to show.
    public var publicKeyPEM: String {
        memoryBIOText { PEM_write_bio_PUBKEY($0, pointer) }
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo, as a DANE `3 1 1` record carries it.
    public var spkiSHA256: String {
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(pointer, &der)
        guard length > 0, let der else { return "" }
        defer { COpenSSL_free(der) }
        var md = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var mdLength: UInt32 = 0
        EVP_Digest(der, Int(length), &md, &mdLength, EVP_sha256(), nil)
        return hex(md.prefix(Int(mdLength)))
    }
}

/// What a new certificate says about itself.
public struct CertificateSpec: Sendable {
    public var commonName: String
    public var organization: String?
    /// DNS names or IP literals for subjectAltName.
    public var subjectAltNames: [String]
    public var notBefore: Date
    public var notAfter: Date
    public var isCA: Bool
    public var digest: SignatureDigest
    public var serial: Int

    public init(commonName: String, organization: String? = nil, subjectAltNames: [String] = [],
                notBefore: Date = Date().addingTimeInterval(-3600), notAfter: Date = Date().addingTimeInterval(90 * 86_400),
                isCA: Bool = false, digest: SignatureDigest = .sha256, serial: Int = Int.random(in: 1...Int(Int32.max))) {
        self.commonName = commonName; self.organization = organization; self.subjectAltNames = subjectAltNames
        self.notBefore = notBefore; self.notAfter = notAfter; self.isCA = isCA; self.digest = digest; self.serial = serial
    }
}

extension Certificate {
    /// Issues a certificate for `key`'s public half, signed by `issuer` (or self-signed when nil).
    public static func issue(_ spec: CertificateSpec, for key: PrivateKey, issuer: (certificate: Certificate, key: PrivateKey)? = nil) throws -> Certificate {
        guard let x = X509_new() else { throw TLSKitError.openssl(operation: "X509_new", errors: drainOpenSSLErrors()) }
        let cert = Certificate(owning: x)  // freed on any throw below
        func check(_ ok: Bool, _ what: String) throws {
            if !ok { throw TLSKitError.openssl(operation: what, errors: drainOpenSSLErrors()) }
        }
        try check(X509_set_version(x, 2) == 1, "X509_set_version")
        try check(ASN1_INTEGER_set(X509_get_serialNumber(x), spec.serial) == 1, "setting the serial number")
        try check(ASN1_TIME_set(X509_getm_notBefore(x), time_t(spec.notBefore.timeIntervalSince1970)) != nil, "setting notBefore")
        try check(ASN1_TIME_set(X509_getm_notAfter(x), time_t(spec.notAfter.timeIntervalSince1970)) != nil, "setting notAfter")
        try check(X509_set_pubkey(x, key.pointer) == 1, "X509_set_pubkey")
        let name = X509_get_subject_name(x)
        if let org = spec.organization {
            try check(X509_NAME_add_entry_by_txt(name, "O", COpenSSL_MBSTRING_UTF8(), org, -1, -1, 0) == 1, "setting O")
        }
        try check(X509_NAME_add_entry_by_txt(name, "CN", COpenSSL_MBSTRING_UTF8(), spec.commonName, -1, -1, 0) == 1, "setting CN")
        let issuerCert = issuer?.certificate.pointer ?? x
        try check(X509_set_issuer_name(x, X509_get_subject_name(issuerCert)) == 1, "setting the issuer")
        if spec.isCA {
            try check(COpenSSL_X509_add_ext_conf(issuerCert, x, NID_basic_constraints, "critical,CA:TRUE") == 1, "basicConstraints")
            try check(COpenSSL_X509_add_ext_conf(issuerCert, x, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") == 1, "keyUsage")
        } else {
            try check(COpenSSL_X509_add_ext_conf(issuerCert, x, NID_basic_constraints, "critical,CA:FALSE") == 1, "basicConstraints")
            try check(COpenSSL_X509_add_ext_conf(issuerCert, x, NID_ext_key_usage, "serverAuth,clientAuth") == 1, "extendedKeyUsage")
        }
        try check(COpenSSL_X509_add_ext_conf(issuerCert, x, NID_subject_key_identifier, "hash") == 1, "subjectKeyIdentifier")
        if issuer != nil {
            try check(COpenSSL_X509_add_ext_conf(issuerCert, x, NID_authority_key_identifier, "keyid:always") == 1, "authorityKeyIdentifier")
        }
        if !spec.subjectAltNames.isEmpty {
            let value = spec.subjectAltNames.map { isIPAddress($0) ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
            try check(COpenSSL_X509_add_ext_conf(issuerCert, x, NID_subject_alt_name, value) == 1, "subjectAltName")
        }
        let signer = issuer?.key ?? key
        let md = spec.digest == .sha1 ? EVP_sha1() : EVP_sha256()
        try check(X509_sign(x, signer.pointer, md) > 0, "signing the certificate")
        return cert
    }
}

/// A certificate signing request (public data: safe to print and send to a CA).
public enum CertificateRequest {
    /// A PEM CSR for `key` with CN and subjectAltName DNS names, SHA-256 signed.
    public static func make(key: PrivateKey, commonName: String, subjectAltNames: [String]) throws -> String {
        guard let req = X509_REQ_new() else { throw TLSKitError.openssl(operation: "X509_REQ_new", errors: drainOpenSSLErrors()) }
        defer { X509_REQ_free(req) }
        func check(_ ok: Bool, _ what: String) throws {
            if !ok { throw TLSKitError.openssl(operation: what, errors: drainOpenSSLErrors()) }
        }
        try check(X509_REQ_set_version(req, 0) == 1, "X509_REQ_set_version")
        let name = X509_REQ_get_subject_name(req)
        try check(X509_NAME_add_entry_by_txt(name, "CN", COpenSSL_MBSTRING_UTF8(), commonName, -1, -1, 0) == 1, "setting CN")
        try check(X509_REQ_set_pubkey(req, key.pointer) == 1, "X509_REQ_set_pubkey")
        let names = subjectAltNames.isEmpty ? [commonName] : subjectAltNames
        let value = names.map { isIPAddress($0) ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
        try check(COpenSSL_X509_REQ_add_san(req, value) == 1, "subjectAltName")
        try check(X509_REQ_sign(req, key.pointer, EVP_sha256()) > 0, "signing the request")
        let pem = try memoryBIOText { try check(PEM_write_bio_X509_REQ($0, req) == 1, "encoding the request") }
        try check(!pem.isEmpty, "encoding the request")
        return pem
    }
}
