import Foundation
import TLSKit

/// A certificate written to disk for a test: its files and the parsed certificate.
public struct IssuedCertificate: Sendable {
    public let certificate: Certificate
    /// The leaf alone (PEM).
    public let certFile: String
    /// The private key (PEM, mode 0600).
    public let keyFile: String
    /// Leaf followed by the intermediate(s) that issued it: what a server should serve.
    public let fullChainFile: String
    /// Key, then leaf, then intermediates: the single-file form of `smtpd_tls_chain_files`.
    public let keyAndChainFile: String
}

/// Makes a test PKI at test time: a root CA, an intermediate, and leaves of every kind the tests need.
/// Nothing is checked in; every run has fresh keys.
public final class CertificateFactory: @unchecked Sendable {
    public let directory: String
    public let root: Certificate
    public let rootKey: PrivateKey
    public let intermediate: Certificate
    public let intermediateKey: PrivateKey
    /// The root as a PEM file: the trust anchor to pass as `--ca-file` / `-CAfile`.
    public let rootFile: String
    public let intermediateFile: String
    private var counter = 0
    private let lock = NSLock()

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        rootKey = try PrivateKey.generate(.ecdsaP256)
        root = try Certificate.issue(
            CertificateSpec(commonName: "postls Test Root CA", organization: "postls tests",
                            notBefore: Date().addingTimeInterval(-86_400), notAfter: Date().addingTimeInterval(3650 * 86_400), isCA: true),
            for: rootKey)
        intermediateKey = try PrivateKey.generate(.ecdsaP256)
        intermediate = try Certificate.issue(
            CertificateSpec(commonName: "postls Test Intermediate CA", organization: "postls tests",
                            notBefore: Date().addingTimeInterval(-86_400), notAfter: Date().addingTimeInterval(1825 * 86_400), isCA: true),
            for: intermediateKey, issuer: (root, rootKey))
        rootFile = directory + "/root.pem"
        intermediateFile = directory + "/intermediate.pem"
        try root.pem.write(toFile: rootFile, atomically: true, encoding: .utf8)
        try intermediate.pem.write(toFile: intermediateFile, atomically: true, encoding: .utf8)
    }

    /// How a leaf is issued.
    public enum Issuer: Sendable { case intermediate, root, selfSigned }

    /// Issues a leaf and writes cert, key, full chain and key+chain files named after `name`.
    public func leaf(_ name: String, commonName: String = "mail.postls.test", sans: [String]? = nil,
                     key: KeySpec = .ecdsaP256, issuer: Issuer = .intermediate,
                     notBefore: Date = Date().addingTimeInterval(-86_400), notAfter: Date = Date().addingTimeInterval(90 * 86_400),
                     digest: SignatureDigest = .sha256) throws -> IssuedCertificate {
        let leafKey = try PrivateKey.generate(key)
        let spec = CertificateSpec(commonName: commonName, subjectAltNames: sans ?? [commonName],
                                   notBefore: notBefore, notAfter: notAfter, digest: digest, serial: nextSerial())
        let signer: (certificate: Certificate, key: PrivateKey)?
        let chain: [Certificate]
        switch issuer {
        case .intermediate: signer = (intermediate, intermediateKey); chain = [intermediate]
        case .root: signer = (root, rootKey); chain = []
        case .selfSigned: signer = nil; chain = []
        }
        let cert = try Certificate.issue(spec, for: leafKey, issuer: signer)
        let base = directory + "/" + name
        let certFile = base + ".crt"
        let keyFile = base + ".key"
        let fullChainFile = base + ".fullchain.pem"
        let keyAndChainFile = base + ".keychain.pem"
        for path in [certFile, keyFile, fullChainFile, keyAndChainFile] { unlink(path) }
        try cert.pem.write(toFile: certFile, atomically: true, encoding: .utf8)
        try leafKey.writePEM(toNewFile: keyFile)
        try ([cert] + chain).map(\.pem).joined().write(toFile: fullChainFile, atomically: true, encoding: .utf8)
        // key first, then the chain: the order smtpd_tls_chain_files wants in one file.
        let keyPEM = try String(contentsOfFile: keyFile, encoding: .utf8)
        try (keyPEM + ([cert] + chain).map(\.pem).joined()).write(toFile: keyAndChainFile, atomically: true, encoding: .utf8)
        chmod(keyAndChainFile, 0o600)
        return IssuedCertificate(certificate: cert, certFile: certFile, keyFile: keyFile,
                                 fullChainFile: fullChainFile, keyAndChainFile: keyAndChainFile)
    }

    private func nextSerial() -> Int {
        lock.lock(); defer { lock.unlock() }
        counter += 1
        return 1000 + counter
    }
}
