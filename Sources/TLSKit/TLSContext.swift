import COpenSSL
import Foundation

/// A TLS protocol version, named as Postfix and OpenSSL name them.
public enum TLSVersion: String, CaseIterable, Codable, Sendable, Comparable {
    case tls1 = "TLSv1"
    case tls1_1 = "TLSv1.1"
    case tls1_2 = "TLSv1.2"
    case tls1_3 = "TLSv1.3"

    var opensslValue: Int32 {
        switch self {
        case .tls1: return COpenSSL_TLS1_VERSION()
        case .tls1_1: return COpenSSL_TLS1_1_VERSION()
        case .tls1_2: return COpenSSL_TLS1_2_VERSION()
        case .tls1_3: return COpenSSL_TLS1_3_VERSION()
        }
    }

    private var rank: Int { TLSVersion.allCases.firstIndex(of: self) ?? 0 }
    public static func < (a: TLSVersion, b: TLSVersion) -> Bool { a.rank < b.rank }
}

/// An SSL_CTX, owned and freed exactly once.
public final class TLSContext: @unchecked Sendable {
    public enum Role: Sendable { case client, server }

    /// How a context is set up. The defaults are OpenSSL's, as a modern client sees them.
    public struct Options: Sendable {
        public var minVersion: TLSVersion?
        public var maxVersion: TLSVersion?
        /// OpenSSL security level; 0 lets a probe offer and accept TLS 1.0/1.1 and weak keys on OpenSSL 3.
        public var securityLevel: Int?
        /// TLS ≤1.2 cipher list (OpenSSL syntax).
        public var cipherList: String?
        /// TLS 1.3 cipher suites.
        public var cipherSuites: String?
        /// Key-exchange groups offered, in order ("X25519:P-256"); nil keeps OpenSSL's default.
        public var groups: String?
        /// Trust anchors for the verify result (the handshake itself never aborts on verification).
        public var trust: TrustAnchors?
        /// Server role: the certificate chain file (leaf first) and key file.
        public var certificateChainFile: String?
        public var privateKeyFile: String?
        /// Tickets off: each probe connection is a full handshake, never a resumption.
        public var disableTickets = true

        public init(minVersion: TLSVersion? = nil, maxVersion: TLSVersion? = nil, securityLevel: Int? = nil,
                    cipherList: String? = nil, cipherSuites: String? = nil, trust: TrustAnchors? = nil,
                    certificateChainFile: String? = nil, privateKeyFile: String? = nil, groups: String? = nil) {
            self.groups = groups
            self.minVersion = minVersion; self.maxVersion = maxVersion; self.securityLevel = securityLevel
            self.cipherList = cipherList; self.cipherSuites = cipherSuites; self.trust = trust
            self.certificateChainFile = certificateChainFile; self.privateKeyFile = privateKeyFile
        }
    }

    let pointer: OpaquePointer  // SSL_CTX *
    public let role: Role

    public init(role: Role, options: Options = Options()) throws {
        guard let ctx = SSL_CTX_new(role == .client ? TLS_client_method() : TLS_server_method()) else {
            throw TLSKitError.openssl(operation: "SSL_CTX_new", errors: drainOpenSSLErrors())
        }
        self.pointer = ctx
        self.role = role
        // Every setter below can fail; on failure deinit frees ctx.
        if let level = options.securityLevel { SSL_CTX_set_security_level(ctx, Int32(level)) }
        if let min = options.minVersion, COpenSSL_SSL_CTX_set_min_proto_version(ctx, min.opensslValue) != 1 {
            throw TLSKitError.openssl(operation: "setting the minimum protocol \(min.rawValue)", errors: drainOpenSSLErrors())
        }
        if let max = options.maxVersion, COpenSSL_SSL_CTX_set_max_proto_version(ctx, max.opensslValue) != 1 {
            throw TLSKitError.openssl(operation: "setting the maximum protocol \(max.rawValue)", errors: drainOpenSSLErrors())
        }
        if let list = options.cipherList, SSL_CTX_set_cipher_list(ctx, list) != 1 {
            throw TLSKitError.openssl(operation: "setting the cipher list \"\(list)\"", errors: drainOpenSSLErrors())
        }
        if let suites = options.cipherSuites, SSL_CTX_set_ciphersuites(ctx, suites) != 1 {
            throw TLSKitError.openssl(operation: "setting the TLS 1.3 cipher suites \"\(suites)\"", errors: drainOpenSSLErrors())
        }
        if let groups = options.groups, COpenSSL_SSL_CTX_set1_groups_list(ctx, groups) != 1 {
            throw TLSKitError.openssl(operation: "setting the groups \"\(groups)\"", errors: drainOpenSSLErrors())
        }
        var flags: UInt64 = COpenSSL_SSL_OP_IGNORE_UNEXPECTED_EOF()
        if options.disableTickets { flags |= COpenSSL_SSL_OP_NO_TICKET() }
        // Probing old servers must not fail on missing secure renegotiation support.
        if role == .client { flags |= COpenSSL_SSL_OP_LEGACY_SERVER_CONNECT() }
        _ = COpenSSL_SSL_CTX_set_options(ctx, flags)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)
        switch options.trust {
        case .system?:
            SSL_CTX_set_default_verify_paths(ctx)
        case .file(let path)?:
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw TLSKitError.file(path: path, errno: access(path, F_OK) == 0 ? EACCES : ENOENT)
            }
            if SSL_CTX_load_verify_locations(ctx, path, nil) != 1 {
                throw TLSKitError.openssl(operation: "loading trust anchors from \(path)", errors: drainOpenSSLErrors())
            }
        case nil:
            break
        }
        if let chain = options.certificateChainFile, SSL_CTX_use_certificate_chain_file(ctx, chain) != 1 {
            throw TLSKitError.openssl(operation: "loading the certificate chain \(chain)", errors: drainOpenSSLErrors())
        }
        if let key = options.privateKeyFile {
            if SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 {
                throw TLSKitError.openssl(operation: "loading the private key \(key)", errors: drainOpenSSLErrors())
            }
            if SSL_CTX_check_private_key(ctx) != 1 {
                throw TLSKitError.openssl(operation: "checking that the key matches the certificate", errors: drainOpenSSLErrors())
            }
        }
        _ = drainOpenSSLErrors()
    }

    deinit { SSL_CTX_free(pointer) }

    /// The TLS ≤1.2 cipher names this context would offer, in order (for cipher enumeration).
    public var offeredCipherNames: [String] {
        guard let ssl = SSL_new(pointer) else { return [] }
        defer { SSL_free(ssl) }
        guard let stack = SSL_get1_supported_ciphers(ssl) else { return [] }
        defer { COpenSSL_sk_SSL_CIPHER_free(stack) }
        var names: [String] = []
        for i in 0..<COpenSSL_sk_SSL_CIPHER_num(stack) {
            if let c = COpenSSL_sk_SSL_CIPHER_value(stack, i), let name = SSL_CIPHER_get_name(c) {
                names.append(String(cString: name))
            }
        }
        return names
    }
}
