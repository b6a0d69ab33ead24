import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A webhook receiver on 127.0.0.1 for tests and benchmarks: it checks each request's `Returns-Signature` with its
/// own HMAC code (not the sender's), records what arrived, and answers 500 for the first `failuresPerMessage`
/// attempts of each message, 200 after that.
public final class WebhookSink: Sendable {
    /// One request as received.
    public struct Delivery: Sendable, Hashable {
        public var messageID: String
        public var returnID: String
        public var seq: Int
        public var template: String
        public var locale: String
        public var to: String
        public var subject: String
        public var text: String
        public var html: String
        public var statusURL: String
        public var attempt: Int
        public var signatureValid: Bool
        /// Whether the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`) sign the body
        /// with the secret and name this message.
        public var standardSignatureValid: Bool
        /// The `Idempotency-Key` header, as payment adapters receive it.
        public var idempotencyKey: String
        /// The status the sink answered.
        public var status: Int
    }

    struct State {
        var deliveries: [Delivery] = []
        var attemptsByMessage: [String: Int] = [:]
        var inFlight: [String: Int] = [:]
        var maxInFlightPerMessage = 0
    }

    /// Without a secret, requests need no signature (a payment adapter's endpoint).
    let secret: String?
    let failuresPerMessage: Int
    let delay: Duration
    let state = Mutex(State())
    let channel = Mutex<(any Channel)?>(nil)

    /// `failuresPerMessage: .max` always fails. `delay` holds each answer back, to widen the window in which two
    /// deliveries of one message would overlap.
    public init(secret: String?, failuresPerMessage: Int = 0, delay: Duration = .zero) {
        self.secret = secret
        self.failuresPerMessage = failuresPerMessage
        self.delay = delay
    }

    /// Starts listening on a free loopback port and returns the URL to POST to.
    public func start() async throws -> URL {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(sink: self))
                }
            }
        let server = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        channel.withLock { $0 = server }
        let port = server.localAddress?.port ?? 0
        return URL(string: "http://127.0.0.1:\(port)/hooks/returns")!
    }

    public func stop() async throws {
        let server = channel.withLock { channel -> (any Channel)? in
            defer { channel = nil }
            return channel
        }
        try await server?.close()
    }

    public var deliveries: [Delivery] { state.withLock { $0.deliveries } }

    /// The most requests for one message that were open at the same moment (1 means never two at once).
    public var maxInFlightPerMessage: Int { state.withLock { $0.maxInFlightPerMessage } }

    /// Distinct messages answered with 200.
    public var acceptedMessageIDs: Set<String> {
        Set(state.withLock { $0.deliveries.filter { $0.status == 200 }.map(\.messageID) })
    }

    /// Decides the answer to one request and records it.
    func receive(head: HTTPRequestHead, body: Data) -> (status: Int, messageID: String) {
        let signatureValid =
            secret == nil || head.headers.first(name: "Returns-Signature").map { verify(header: $0, body: body) } ?? false
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        func text(_ key: String) -> String { object[key] as? String ?? "" }
        let messageID = text("message_id")
        let standardSignatureValid = verifyStandard(headers: head.headers, messageID: messageID, body: body)
        return state.withLock { state in
            let attempt = (state.attemptsByMessage[messageID] ?? 0) + 1
            state.attemptsByMessage[messageID] = attempt
            let status = !signatureValid ? 401 : attempt <= failuresPerMessage ? 500 : 200
            state.deliveries.append(
                Delivery(
                    messageID: messageID, returnID: text("return_id"), seq: object["seq"] as? Int ?? -1,
                    template: text("template"), locale: text("locale"), to: text("to"), subject: text("subject"),
                    text: text("text"), html: text("html"), statusURL: text("status_url"),
                    attempt: object["attempt"] as? Int ?? -1, signatureValid: signatureValid,
                    standardSignatureValid: standardSignatureValid,
                    idempotencyKey: head.headers.first(name: "Idempotency-Key") ?? "", status: status))
            state.inFlight[messageID, default: 0] += 1
            state.maxInFlightPerMessage = max(state.maxInFlightPerMessage, state.inFlight[messageID] ?? 0)
            return (status, messageID)
        }
    }

    func finished(_ messageID: String) {
        state.withLock { $0.inFlight[messageID, default: 1] -= 1 }
    }

    /// `t=UNIX,v1=HEX` with HEX = HMAC-SHA256(secret, "UNIX." + body), within five minutes of now.
    func verify(header: String, body: Data) -> Bool {
        var fields: [String: String] = [:]
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let secret, let t = fields["t"], let timestamp = Double(t), let given = fields["v1"],
            abs(Date().timeIntervalSince1970 - timestamp) < 300
        else { return false }
        var signed = Data((t + ".").utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        let expected = mac.map { String(format: "%02x", $0) }.joined()
        return expected == given
    }

    /// Standard Webhooks: `webhook-signature` holds `v1,BASE64` entries, BASE64 = HMAC-SHA256(secret, "ID.UNIX." + body),
    /// `webhook-id` is the message id and `webhook-timestamp` within five minutes of now.
    func verifyStandard(headers: HTTPHeaders, messageID: String, body: Data) -> Bool {
        guard let secret, let id = headers.first(name: "webhook-id"), id == messageID,
            let t = headers.first(name: "webhook-timestamp"), let timestamp = Double(t),
            abs(Date().timeIntervalSince1970 - timestamp) < 300,
            let signatures = headers.first(name: "webhook-signature")
        else { return false }
        var signed = Data("\(id).\(t).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        let expected = "v1," + Data(mac).base64EncodedString()
        return signatures.split(separator: " ").contains { $0 == expected }
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let sink: WebhookSink
        var head: HTTPRequestHead?
        var body = Data()

        init(sink: WebhookSink) {
            self.sink = sink
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = Data()
            case .body(var buffer):
                if let bytes = buffer.readBytes(length: buffer.readableBytes) { body.append(contentsOf: bytes) }
            case .end:
                guard let head else { return }
                let (status, messageID) = sink.receive(head: head, body: body)
                let keepAlive = head.isKeepAlive
                let respond = {
                    self.sink.finished(messageID)
                    self.respond(context: context, status: status, keepAlive: keepAlive)
                }
                if sink.delay > .zero {
                    let nanoseconds =
                        sink.delay.components.seconds * 1_000_000_000
                        + sink.delay.components.attoseconds / 1_000_000_000
                    context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) { respond() }
                } else {
                    respond()
                }
            }
        }

        func respond(context: ChannelHandlerContext, status: Int, keepAlive: Bool) {
            let text = status == 200 ? "ok" : status == 401 ? "bad signature" : "receiver failing on purpose"
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain")
            headers.add(name: "Content-Length", value: String(text.utf8.count))
            headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
            let responseHead = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                done.whenComplete { _ in loopBound.value.close(promise: nil) }
            }
        }
    }
}
