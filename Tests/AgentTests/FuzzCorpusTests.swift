import Foundation
import FuzzTargets
import Testing

/// The committed fuzz corpus (Fuzz/corpus/<target>) through the fuzz targets' own checks, in the
/// normal test run: every input that once crashed stays a regression test, and the properties the
/// fuzzer checks hold for the seeds without a libFuzzer build (docs/fuzzing.md).
@Suite("Fuzz corpus replay", .timeLimit(.minutes(1)))
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    @Test("Every corpus input passes its target's checks", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) {
        let inputs = CorpusReplay.inputs(at: Self.corpus.appendingPathComponent(target.rawValue).path)
        #expect(inputs.count >= 5, "the \(target.rawValue) corpus is missing")
        for input in inputs {
            target.run(input.bytes)  // a broken property stops the process and names the input's check
        }
    }
}
