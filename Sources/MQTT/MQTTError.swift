import CMosquitto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from the MQTT client: what failed, why, and libmosquitto's own words for it.
///
/// The `code` tells a caller what kind of failure it is, so that a wrong password, a refused
/// connection, a TLS failure and an unreachable broker can be told apart without string matching.
public struct MQTTError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure. Extensible: new codes are new static members, never a breaking change.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }

        /// The broker rejected the username or password (CONNACK 4, MQTT 5 reason 0x86).
        public static let badCredentials = Code("badCredentials")
        /// The broker refused the client (CONNACK 5, MQTT 5 reason 0x87), or an ACL denied an operation.
        public static let notAuthorized = Code("notAuthorized")
        /// The broker refused the connection for another protocol reason (version, client id, unavailable).
        public static let connectionRefused = Code("connectionRefused")
        /// No broker could be reached: nothing listening, host unknown, network down.
        public static let unreachable = Code("unreachable")
        /// TLS failed: certificate verification, handshake, or the TLS files could not be used.
        public static let tls = Code("tls")
        /// The connection was lost after it had been established.
        public static let connectionLost = Code("connectionLost")
        /// The operation needs a connection and there is none right now.
        public static let notConnected = Code("notConnected")
        /// The operation was given something invalid (topic, QoS, option).
        public static let invalidArgument = Code("invalidArgument")
        /// The payload is larger than MQTT or the broker allows.
        public static let payloadTooLarge = Code("payloadTooLarge")
        /// The operation did not complete in time.
        public static let timeout = Code("timeout")
        /// The client has been shut down.
        public static let shutDown = Code("shutDown")
        /// Anything else libmosquitto reported; `mosquittoCode` has the detail.
        public static let other = Code("other")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// The libmosquitto call or protocol step that failed, for example `mosquitto_subscribe` or `CONNACK`.
    public let operation: String
    /// The raw `MOSQ_ERR_*` value, CONNACK return code or MQTT 5 reason code, when there is one.
    public let mosquittoCode: Int32?
    /// `errno` when libmosquitto reported `MOSQ_ERR_ERRNO`.
    public let systemErrno: Int32?
    /// A human-readable explanation (from `mosquitto_strerror`, `mosquitto_connack_string` or `strerror`).
    public let message: String

    public init(code: Code, operation: String, message: String, mosquittoCode: Int32? = nil, systemErrno: Int32? = nil) {
        self.code = code
        self.operation = operation
        self.message = message
        self.mosquittoCode = mosquittoCode
        self.systemErrno = systemErrno
    }

    public var description: String { "\(operation): \(message) [\(code)]" }
}

extension MQTTError {
    /// The broker's host name did not resolve (a typo, or no DNS): nothing to start, unlike a broker that is down.
    public var isHostLookupFailure: Bool {
        mosquittoCode == Int32(MOSQ_ERR_EAI.rawValue) || mosquittoCode == Int32(MOSQ_ERR_LOOKUP.rawValue)
    }

    /// Builds an error from a `MOSQ_ERR_*` return value, reading `errno` right away where it matters.
    static func mosquitto(_ rc: Int32, _ operation: String) -> MQTTError {
        let errnoValue = errno
        let text = String(cString: mosquitto_strerror(rc))
        switch rc {
        case Int32(MOSQ_ERR_ERRNO.rawValue):
            let systemText = String(cString: strerror(errnoValue))
            let code: Code
            switch errnoValue {
            case ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT, EADDRNOTAVAIL: code = .unreachable
            case EPROTO: code = .tls
            default: code = .other
            }
            return MQTTError(code: code, operation: operation, message: systemText, mosquittoCode: rc, systemErrno: errnoValue)
        case Int32(MOSQ_ERR_EAI.rawValue), Int32(MOSQ_ERR_LOOKUP.rawValue):
            return MQTTError(code: .unreachable, operation: operation, message: text, mosquittoCode: rc)
        case Int32(MOSQ_ERR_TLS.rawValue), Int32(MOSQ_ERR_TLS_HANDSHAKE.rawValue), Int32(MOSQ_ERR_OCSP.rawValue):
            return MQTTError(code: .tls, operation: operation, message: text, mosquittoCode: rc)
        case Int32(MOSQ_ERR_NO_CONN.rawValue):
            return MQTTError(code: .notConnected, operation: operation, message: text, mosquittoCode: rc)
        case Int32(MOSQ_ERR_CONN_LOST.rawValue), Int32(MOSQ_ERR_KEEPALIVE.rawValue):
            return MQTTError(code: .connectionLost, operation: operation, message: text, mosquittoCode: rc)
        case Int32(MOSQ_ERR_CONN_REFUSED.rawValue):
            return MQTTError(code: .connectionRefused, operation: operation, message: text, mosquittoCode: rc)
        case Int32(MOSQ_ERR_AUTH.rawValue):
            return MQTTError(code: .badCredentials, operation: operation, message: text, mosquittoCode: rc)
        case Int32(MOSQ_ERR_ACL_DENIED.rawValue):
            return MQTTError(code: .notAuthorized, operation: operation, message: text, mosquittoCode: rc)
        case Int32(MOSQ_ERR_INVAL.rawValue), Int32(MOSQ_ERR_MALFORMED_UTF8.rawValue), Int32(MOSQ_ERR_QOS_NOT_SUPPORTED.rawValue):
            return MQTTError(code: .invalidArgument, operation: operation, message: text, mosquittoCode: rc)
        case Int32(MOSQ_ERR_PAYLOAD_SIZE.rawValue), Int32(MOSQ_ERR_OVERSIZE_PACKET.rawValue):
            return MQTTError(code: .payloadTooLarge, operation: operation, message: text, mosquittoCode: rc)
        default:
            return MQTTError(code: .other, operation: operation, message: text, mosquittoCode: rc)
        }
    }

    /// Builds an error from a refused CONNACK: a 3.1.1 return code (1…5) or an MQTT 5 reason code (>= 0x80).
    static func connack(_ rc: Int32, version: MQTTConfiguration.ProtocolVersion) -> MQTTError {
        let message: String
        let code: Code
        switch version {
        case .v311:
            message = String(cString: mosquitto_connack_string(rc))
            switch rc {
            case Int32(CONNACK_REFUSED_BAD_USERNAME_PASSWORD.rawValue): code = .badCredentials
            case Int32(CONNACK_REFUSED_NOT_AUTHORIZED.rawValue): code = .notAuthorized
            default: code = .connectionRefused
            }
        case .v5:
            message = String(cString: mosquitto_reason_string(rc))
            switch rc {
            case Int32(MQTT_RC_BAD_USERNAME_OR_PASSWORD.rawValue): code = .badCredentials
            case Int32(MQTT_RC_NOT_AUTHORIZED.rawValue), Int32(MQTT_RC_BANNED.rawValue): code = .notAuthorized
            default: code = .connectionRefused
            }
        }
        return MQTTError(code: code, operation: "CONNACK", message: message, mosquittoCode: rc)
    }

    static let shutDown = MQTTError(code: .shutDown, operation: "MQTTClient", message: "the client has been shut down")
}

/// Throws unless libmosquitto returned `MOSQ_ERR_SUCCESS`: the one place return codes become errors.
@inline(__always)
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(MQTTError) {
    if rc != Int32(MOSQ_ERR_SUCCESS.rawValue) { throw MQTTError.mosquitto(rc, operation()) }
}
