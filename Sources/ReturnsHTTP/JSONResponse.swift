import Foundation
import Hummingbird

/// JSON answers: snake_case keys and ISO 8601 dates, the same shapes the OpenAPI document declares.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws
        -> Response
    {
        make(ByteBuffer(bytes: try encoder.encode(value)), status: status, headers: headers)
    }

    /// An answer of JSON already written (`JSONWriter`).
    static func make(_ json: ByteBuffer, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: json))
    }
}

extension UUID {
    /// The id as the API writes it: lower case, like PostgreSQL prints it.
    var text: String { uuidString.lowercased() }
}
