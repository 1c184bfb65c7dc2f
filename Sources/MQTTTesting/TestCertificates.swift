import Foundation

/// A throwaway PKI made with `openssl` at test time: a CA, a server certificate for 127.0.0.1 and
/// localhost signed by it, and a second, unrelated CA that must be refused.
public struct TestCertificates: Sendable {
    public let caFile: String
    public let serverCertificateFile: String
    public let serverKeyFile: String
    /// A CA that did not sign the server certificate.
    public let wrongCAFile: String

    static func existing(in directory: URL) throws -> TestCertificates {
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        return TestCertificates(caFile: path("ca.crt"), serverCertificateFile: path("server.crt"),
                                serverKeyFile: path("server.key"), wrongCAFile: path("wrong-ca.crt"))
    }

    static func make(in directory: URL) throws -> TestCertificates {
        let certificates = try existing(in: directory)
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let openssl = { (arguments: [String]) in _ = try MosquittoBroker.run("openssl", arguments) }
        for (name, subject) in [("ca", "/CN=edge-anomaly test CA"), ("wrong-ca", "/CN=unrelated CA")] {
            try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject,
                         "-keyout", path("\(name).key"), "-out", path("\(name).crt")])
        }
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                     "-keyout", certificates.serverKeyFile, "-out", path("server.csr")])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: path("san.ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", path("server.csr"), "-CA", certificates.caFile, "-CAkey", path("ca.key"),
                     "-CAcreateserial", "-days", "2", "-extfile", path("san.ext"), "-out", certificates.serverCertificateFile])
        return certificates
    }
}
