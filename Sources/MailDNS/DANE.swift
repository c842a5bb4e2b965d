import Foundation
import TLSKit

/// DANE for SMTP (RFC 7672): which TLSA records match a served chain.
public enum DANE {
    /// Whether SMTP DANE clients use a record at all: DANE-TA(2) and DANE-EE(3) with known selector and matching type.
    /// PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP (RFC 7672 §3.1.3).
    public static func isUsable(_ record: TLSARecord) -> Bool {
        (record.usage == 2 || record.usage == 3) && record.selector <= 1 && record.matchingType <= 2
    }

    /// The bytes a record's selector picks from a certificate: the whole DER (0) or the DER SubjectPublicKeyInfo (1).
    public static func selected(_ selector: UInt8, from certificate: Certificate) -> [UInt8]? {
        switch selector {
        case 0: return certificate.der
        case 1: return certificate.publicKeyDER
        default: return nil
        }
    }

    /// The association data for `bytes` under a matching type: exact (0), SHA-256 (1), SHA-512 (2).
    public static func association(_ matchingType: UInt8, of bytes: [UInt8]) -> [UInt8]? {
        switch matchingType {
        case 0: return bytes
        case 1: return Digest.sha256.hash(bytes)
        case 2: return Digest.sha512.hash(bytes)
        default: return nil
        }
    }

    /// Whether `record` matches `certificate` (usage aside).
    public static func matches(_ record: TLSARecord, certificate: Certificate) -> Bool {
        guard let bytes = selected(record.selector, from: certificate),
              let data = association(record.matchingType, of: bytes) else { return false }
        return !data.isEmpty && data == record.data
    }

    /// Whether a usable record matches the served chain (leaf first): DANE-EE against the leaf,
    /// DANE-TA against a certificate above the leaf.
    public static func matches(_ record: TLSARecord, chain: [Certificate]) -> Bool {
        guard isUsable(record), let leaf = chain.first else { return false }
        if record.usage == 3 { return matches(record, certificate: leaf) }
        return chain.dropFirst().contains { matches(record, certificate: $0) }
    }

    /// A `3 1 1` record for a public key (DER SPKI).
    public static func record311(publicKeyDER: [UInt8]) -> TLSARecord {
        TLSARecord(usage: 3, selector: 1, matchingType: 1, data: Digest.sha256.hash(publicKeyDER))
    }

    /// The TLSA owner name for SMTP on port 25 at `mxHost`.
    public static func ownerName(mxHost: String) -> String { "_25._tcp." + mxHost.trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
}
