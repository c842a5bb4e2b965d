import COpenSSL

/// What `write` prints into a memory BIO, as text ("" when nothing was written). For public things only
/// (certificates, names, public keys, requests): key bytes are written where they can be wiped afterwards.
func memoryBIOText(_ write: (OpaquePointer) throws -> Void) rethrows -> String {
    guard let bio = BIO_new(BIO_s_mem()) else { return "" }
    defer { BIO_free(bio) }
    try write(bio)
    var data: UnsafeMutablePointer<CChar>? = nil
    let length = COpenSSL_BIO_get_mem_data(bio, &data)
    guard length > 0, let data else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
}
