import Testing

extension Tag {
    /// Suites that run whole federations or trainings.
    ///
    /// They use real processes or threads, sockets and run files, for tens of seconds each in a
    /// debug build. Each also carries a `.timeLimit`.
    @Tag public static var endToEnd: Self
}
