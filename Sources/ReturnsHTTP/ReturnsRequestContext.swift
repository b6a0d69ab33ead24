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

    /// The client's IP address as text ("unknown" when the channel has none, as in tests of the router alone).
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
