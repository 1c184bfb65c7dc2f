import Foundation

/// Progress, warnings and summaries go to standard error, so that standard output stays free for
/// whatever a script wants to pipe.
enum Console {
    static func status(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// A failure the user can act on; ArgumentParser prints it as `Error: …` and exits with status 1.
struct EmulatorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
