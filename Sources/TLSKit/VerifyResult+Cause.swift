import PostlsCore

extension VerifyResult {
    /// The root cause of this result (`VerifyCode.cause(forCode:)`, the one table). Nil for success.
    public var cause: Cause? { VerifyCode.cause(forCode: code) }
}
