/// Fails the run when a property is broken. Not `precondition`: a release build (the fuzzer's)
/// drops its message, and the message is what says which property broke.
func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError("fuzz property broken: \(message())", file: file, line: line) }
}
