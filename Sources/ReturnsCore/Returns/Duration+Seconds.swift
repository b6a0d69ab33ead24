extension Duration {
    /// Whole and fractional seconds.
    public var totalSeconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    public var milliseconds: Double { totalSeconds * 1000 }
}
