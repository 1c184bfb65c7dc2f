/// A fixed list of sensor names with a byte-level lookup, so the parser can place a value without
/// making a `String` of its name. A linear scan beats hashing for the dozen sensors a device has.
public struct SensorTable: Sendable, Hashable {
    public let names: [String]
    private let utf8: [[UInt8]]

    public init(_ names: [String]) {
        self.names = names
        utf8 = names.map { Array($0.utf8) }
    }

    public var count: Int { names.count }

    /// The slot of the sensor whose UTF-8 name is `bytes`, or nil.
    @inlinable
    public func slot(for bytes: UnsafeRawBufferPointer) -> Int? {
        slotImpl(bytes)
    }

    @usableFromInline
    func slotImpl(_ bytes: UnsafeRawBufferPointer) -> Int? {
        for index in utf8.indices where utf8[index].count == bytes.count {
            if utf8[index].withUnsafeBytes({ $0.elementsEqual(bytes) }) { return index }
        }
        return nil
    }

    public func slot(for name: String) -> Int? { names.firstIndex(of: name) }
}
