import Foundation
import Testing

@testable import ReturnsReconcile

@Suite("Reading CSV the way real exports write it")
struct CSVReaderTests {
    func records(_ text: String, chunkSize: Int = 1 << 20) throws -> [(Int, [String])] {
        let reader = try CSVReader(path: try temporaryFile(text), name: "f.csv", chunkSize: chunkSize)
        var result: [(Int, [String])] = []
        while try reader.next() { result.append((reader.line, (0..<reader.count).map { reader.string($0) })) }
        return result
    }

    @Test(
        "BOM, CRLF, quoted commas, doubled quotes, line breaks in quotes and trailing blank lines",
        arguments: [1, 3, 7, 1 << 20])
    func messyFile(chunkSize: Int) throws {
        let text =
            "\u{FEFF}a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",\r\n3,,\"\"\r\n\r\n\r\n   \n"
        let found = try records(text, chunkSize: chunkSize)
        #expect(found.map(\.0) == [1, 2, 3, 5])
        #expect(
            found.map(\.1) == [
                ["a", "b", "c"], ["1", "x, y", "say \"hi\""], ["2", "two\nlines", ""], ["3", "", ""],
            ])
    }

    @Test("the last line may lack its line break")
    func noFinalNewline() throws {
        #expect(try records("a,b\n1,2").map(\.1) == [["a", "b"], ["1", "2"]])
    }

    @Test("an unterminated quote is refused at the line and column where it opened")
    func unterminatedQuote() throws {
        #expect(
            throws: ReconcileError.badRow(
                file: "f.csv", line: 3, column: 2,
                reason: "unterminated quote: the field opened here has no closing quote before the end of the file")
        ) {
            try records("a,b\n1,2\n3,\"oops\n4,5\n")
        }
    }

    @Test("text after a closing quote is refused")
    func textAfterQuote() throws {
        #expect(
            throws: ReconcileError.badRow(
                file: "f.csv", line: 2, column: 1,
                reason: "text after a closing quote; quote the whole field and double any quote inside it")
        ) {
            try records("a,b\n\"1\"x,2\n")
        }
    }

    @Test("a missing file says so")
    func missingFile() throws {
        #expect(throws: ReconcileError.self) { try CSVReader(path: "/nonexistent/x.csv") }
    }
}
