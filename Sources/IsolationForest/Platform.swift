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

    /// Writes a file through a temporary sibling and a rename, so a reader never sees half of it.
    ///
    /// Symbolic links are followed to the end (the file they name is replaced, not a link); a dangling link
    /// gets its target created. `/dev/stdout` and `/dev/stderr` go to the process's own descriptor (reopening
    /// them would start at offset 0 over what was written before), and another device, FIFO or socket is
    /// written into: a rename would replace the device itself.
    static func writeFileAtomically(path given: String, bytes: [UInt8]) throws(ModelFileError) {
        func fail(_ what: String) -> ModelFileError { ModelFileError(.io, at: "", "cannot \(what) \(given): \(errnoDescription())") }
        if given == "/dev/stdout" || given == "/dev/stderr" {
            fflush(nil)  // what was printed comes first
            guard writeAll(bytes, to: given == "/dev/stdout" ? 1 : 2) else { throw fail("write") }
            return
        }
        let path = resolvedPath(given)
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & 0o170000 != 0o100000, status.st_mode & 0o170000 != 0o040000 {
            let descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw fail("open") }
            defer { close(descriptor) }
            guard writeAll(bytes, to: descriptor) else { throw fail("write") }
            return
        }
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw fail("create a file beside") }
        let written = writeAll(bytes, to: descriptor)
        let reason = errnoDescription()
        close(descriptor)
        guard written else {
            unlink(temporary)
            throw ModelFileError(.io, at: "", "cannot write \(given): \(reason)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = errnoDescription()
            unlink(temporary)
            throw ModelFileError(.io, at: "", "cannot replace \(given): \(reason)")
        }
    }

    /// The path with every symbolic link followed: `realpath` when the target exists; otherwise the chain
    /// of links read by hand (at most 40, as the kernel allows), so a dangling link names the file to create.
    private static func resolvedPath(_ given: String) -> String {
        if let resolved = realpath(given, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        var path = given
        for _ in 0..<40 {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(path, &buffer, buffer.count - 1)
            guard count > 0 else { break }
            let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target.hasPrefix("/") {
                path = target
            } else if let slash = path.lastIndex(of: "/") {
                path = String(path[...slash]) + target
            } else {
                path = target
            }
        }
        return path
    }

    /// Writes every byte (retrying short writes and interrupted calls); false on an error, with errno set.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return true
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

/// Writes output files the way model files are written (`AnomalyModel.write(toFile:)`): atomically through a
/// rename when the path is a regular file or new, into it when it is a device or FIFO, to the process's own
/// descriptor for `/dev/stdout` and `/dev/stderr`, symbolic links followed.
public enum OutputFileWriter {
    public static func write(_ bytes: [UInt8], to path: String) throws(ModelFileError) {
        try Platform.writeFileAtomically(path: path, bytes: bytes)
    }
}
