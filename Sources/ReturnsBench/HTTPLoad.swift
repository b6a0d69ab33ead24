import Foundation
import ReturnsCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 load generator for `returns bench status` and `returns bench partner-api`: `connections`
/// keep-alive connections to a loopback port, each on a thread of its own, taking scripts in turn (a script is
/// requests sent in order on one connection: one status lookup, or the reports on one return) until all have run.
/// Blocking sockets and one request in flight per connection. (wrk runs for a time, not a count: a thread of it can
/// stop early, but wrk waits out its whole duration; ApacheBench's HTTP/1.0 keep-alive stalls against Hummingbird.)
struct HTTPLoad {
    let port: Int
    let connections: Int

    /// One request, as its bytes go on the wire.
    struct Request: Sendable {
        var bytes: [UInt8]

        static func get(_ path: String) -> Request {
            Request(bytes: Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n".utf8))
        }

        /// A POST of `json` with the header fields given.
        static func post(_ path: String, json: String, headers: [(String, String)]) -> Request {
            let body = Array(json.utf8)
            var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\nContent-Type: application/json\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(body.count)\r\n\r\n"
            return Request(bytes: Array(head.utf8) + body)
        }
    }

    struct Outcome {
        var requests: Int
        var errors: Int
        var seconds: Double
        /// Per answered request, in milliseconds, sorted.
        var latencies: [Double]

        func percentile(_ share: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            return latencies[min(latencies.count - 1, Int((Double(latencies.count) * share).rounded(.up)) - 1)]
        }
    }

    /// Runs scripts 0..<`scripts`, each the requests `script` gives for its number; an answer other than 2xx or
    /// 3xx, or a socket error, counts as an error (and the connection is opened again).
    func run(scripts: Int, _ script: @escaping @Sendable (Int) -> [Request]) -> Outcome {
        let next = Atomic<Int>(0)
        let results = Mutex<[(requests: Int, errors: Int, latencies: [Double])]>([])
        let finished = DispatchGroup()
        let started = ContinuousClock.now
        for _ in 0..<connections {
            finished.enter()
            let worker = Thread { [port, connections] in
                var connection: Int32 = -1
                var sent = 0
                var errors = 0
                var latencies: [Double] = []
                latencies.reserveCapacity(scripts / max(1, connections) + 1)
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < scripts else { break }
                    for request in script(index) {
                        sent += 1
                        if connection < 0 { connection = Self.connect(port: port) }
                        let begun = ContinuousClock.now
                        if connection >= 0, let status = Self.send(request, on: connection),
                            (200..<400).contains(status)
                        {
                            latencies.append((ContinuousClock.now - begun).milliseconds)
                        } else {
                            errors += 1
                            if connection >= 0 { close(connection) }
                            connection = -1
                        }
                    }
                }
                if connection >= 0 { close(connection) }
                results.withLock { $0.append((sent, errors, latencies)) }
                finished.leave()
            }
            worker.start()
        }
        finished.wait()
        let seconds = (ContinuousClock.now - started).totalSeconds
        let all = results.withLock { $0 }
        return Outcome(
            requests: all.map(\.requests).reduce(0, +), errors: all.map(\.errors).reduce(0, +), seconds: seconds,
            latencies: all.flatMap(\.latencies).sorted())
    }

    /// A connected TCP socket to 127.0.0.1:`port`, or -1.
    static func connect(port: Int) -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return -1 }
        var noDelay: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        // An answer that takes over 10 s counts as an error, so a stuck server ends the run instead of hanging it.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            return -1
        }
        return socket
    }

    /// Sends one request and reads its answer through the end of its body; the status code, or nil on any failure.
    static func send(_ request: Request, on socket: Int32) -> Int? {
        let sent = request.bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.bytes.count
        else { return nil }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var headerEnd: Int?
        var bodyLength = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            received.append(contentsOf: buffer[0..<count])
            if headerEnd == nil, let end = Self.headerEnd(in: received) {
                headerEnd = end
                let head = String(decoding: received[0..<end], as: UTF8.self).lowercased()
                let field = "content-length:"
                guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix(field) }),
                    let length = Int(line.dropFirst(field.count).trimmingCharacters(in: .whitespaces))
                else { return nil }  // these routes always answer with a length
                bodyLength = length
            }
            if let end = headerEnd, received.count >= end + bodyLength {
                let statusLine = received[0..<min(received.count, 12)]
                return Int(String(decoding: statusLine.dropFirst(9), as: UTF8.self))
            }
        }
    }

    /// The index just past the blank line that ends the header, if it has come.
    static func headerEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }
}
