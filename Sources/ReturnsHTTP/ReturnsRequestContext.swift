import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's basics and the peer's address, which the limit on failed
/// order lookups counts by. Behind a proxy every request comes from the proxy's address, so the limit is shared.
public struct ReturnsRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Who the limit on failed lookups counts: the client's IPv4 address, or the /64 network of an IPv6 one (a
    /// single host is usually given a whole /64, so counting addresses would let it rotate through them);
    /// "unknown" when the channel has none, as in tests of the router alone.
    var clientAddress: String {
        guard let address = remoteAddress else { return "unknown" }
        if case .v6(let v6) = address {
            var raw = v6.address.sin6_addr
            let bytes = withUnsafeBytes(of: &raw) { Array($0.prefix(8)) }
            // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 client it maps.
            if bytes.allSatisfy({ $0 == 0 }), let text = address.ipAddress, text.hasPrefix("::ffff:") {
                return String(text.dropFirst(7))
            }
            return bytes.map { String(format: "%02x", $0) }.joined() + "::/64"
        }
        return address.ipAddress ?? "unknown"
    }
}
