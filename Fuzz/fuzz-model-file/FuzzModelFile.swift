import FuzzTargets

// Built with -DFUZZING (make fuzz): libFuzzer's own main drives this entry point, so the module
// must not have one. Otherwise: an ordinary executable that replays the corpus. The file is not
// main.swift, so that without @main there is no top-level code and hence no main symbol.
#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.modelFile.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
enum FuzzModelFile {
    static func main() { CorpusReplay.main(.modelFile) }
}
#endif
