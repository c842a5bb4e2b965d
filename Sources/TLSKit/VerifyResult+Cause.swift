import PostlsCore

extension VerifyResult {
    /// The root cause a verify code stands for (`VerifyCode.cause(forCode:)`, the one table). Nil for success.
    public static func cause(forCode code: Int) -> Cause? { VerifyCode.cause(forCode: code) }

    /// `cause(forCode:)` of this result.
    public var cause: Cause? { Self.cause(forCode: code) }
}
