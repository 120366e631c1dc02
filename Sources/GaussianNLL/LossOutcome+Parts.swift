extension LossOutcome {
    /// The result of a successful call; `nil` for a rejection.
    public var result: LossResult? {
        if case .success(let result) = self { return result }
        return nil
    }

    /// The rejection of a refused call; `nil` for a result.
    public var rejection: Rejection? {
        if case .rejection(let rejection) = self { return rejection }
        return nil
    }
}
