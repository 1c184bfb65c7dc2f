/// Why a model file (or a model being built from one) was rejected.
///
/// The `location` is a path into the JSON document, such as `trees[3].left[17]`, so that a
/// corrupt or hand-edited file can be fixed without guessing; the description reads
/// `trees[3].left[17]: index 900 out of range 0..<31`.
public struct ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, extensible without breaking callers (swift-server style).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ description: String) { self.description = description }

        /// The file could not be opened, read or written.
        public static let io = Code("io")
        /// The file or one of its parts exceeds a limit (size, trees, nodes, depth, nesting).
        public static let limitExceeded = Code("limitExceeded")
        /// The bytes are not valid JSON.
        public static let syntax = Code("syntax")
        /// The format name or version is not one this library reads.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// A required member is absent.
        public static let missingField = Code("missingField")
        /// A member has the wrong type or an invalid value (NaN, negative count, unknown method…).
        public static let invalidValue = Code("invalidValue")
        /// The trees are not trees: an index out of range, a cycle, a shared node, inconsistent counts.
        public static let invalidStructure = Code("invalidStructure")
        /// The recorded `id` does not match the content hash.
        public static let hashMismatch = Code("hashMismatch")
    }

    /// The kind of failure.
    public let code: Code
    /// Path of the offending member (`trees[3].threshold[5]`), empty for the whole file.
    public let location: String
    /// What is wrong, in words.
    public let message: String

    /// Creates an error at `location`.
    public init(_ code: Code, at location: String, _ message: String) {
        self.code = code
        self.location = location
        self.message = message
    }

    public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}
