// The module avoids Foundation so the agent stays small on gateways; the C library gives us
// the few things the standard library lacks: libm, file reading and the wall clock.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("IsolationForest needs a C library (Glibc, Musl or Darwin)")
#endif

enum Platform {
    @inline(__always) static func log(_ x: Double) -> Double { libmLog(x) }
    @inline(__always) static func pow2(_ x: Double) -> Double { libmPow(2.0, x) }

    /// Seconds since the Unix epoch, for the training date in model metadata.
    static func unixTime() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    /// Reads a whole file, refusing files larger than `limit` before reading them.
    static func readFile(path: String, limit: Int) throws(ModelFileError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw ModelFileError(.io, at: "", "cannot open \(path): \(errnoDescription())")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 {
                guard bytes.count + count <= limit else {
                    throw ModelFileError(.limitExceeded, at: "", "\(path) is larger than the limit of \(limit) bytes")
                }
                bytes.append(contentsOf: chunk[0..<count])
            }
            if count < chunk.count {
                if ferror(file) != 0 {
                    throw ModelFileError(.io, at: "", "cannot read \(path): \(errnoDescription())")
                }
                return bytes
            }
        }
    }

    /// Writes a file through a temporary sibling and a rename, so a reader never sees half a model. A
    /// symbolic link is followed (the file it names is replaced, not the link), and a path that is not a
    /// regular file (/dev/stdout, a FIFO) is written into: a rename would replace the device itself.
    static func writeFileAtomically(path given: String, bytes: [UInt8]) throws(ModelFileError) {
        var path = given
        if let resolved = realpath(given, nil) {
            path = String(cString: resolved)
            free(resolved)
        }
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & 0o170000 != 0o100000 {
            guard let file = fopen(path, "wb") else { throw ModelFileError(.io, at: "", "cannot open \(given): \(errnoDescription())") }
            let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            let flushed = fflush(file) == 0
            let reason = errnoDescription()
            fclose(file)
            guard written == bytes.count, flushed else { throw ModelFileError(.io, at: "", "cannot write \(given): \(reason)") }
            return
        }
        let temporary = path + ".tmp-\(getpid())"
        guard let file = fopen(temporary, "wb") else {
            throw ModelFileError(.io, at: "", "cannot create \(temporary): \(errnoDescription())")
        }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let flushed = fflush(file) == 0
        fclose(file)
        guard written == bytes.count, flushed else {
            unlink(temporary)
            throw ModelFileError(.io, at: "", "cannot write \(temporary): \(errnoDescription())")
        }
        guard rename(temporary, path) == 0 else {
            let reason = errnoDescription()
            unlink(temporary)
            throw ModelFileError(.io, at: "", "cannot rename \(temporary) to \(path): \(reason)")
        }
    }

    private static func errnoDescription() -> String {
        guard let message = strerror(errno) else { return "errno \(errno)" }
        return String(cString: message)
    }
}

// Module-qualified names so the wrappers above do not recurse into themselves.
#if canImport(Glibc)
@inline(__always) private func libmLog(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func libmPow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
#elseif canImport(Musl)
@inline(__always) private func libmLog(_ x: Double) -> Double { Musl.log(x) }
@inline(__always) private func libmPow(_ x: Double, _ y: Double) -> Double { Musl.pow(x, y) }
#else
@inline(__always) private func libmLog(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func libmPow(_ x: Double, _ y: Double) -> Double { Darwin.pow(x, y) }
#endif
