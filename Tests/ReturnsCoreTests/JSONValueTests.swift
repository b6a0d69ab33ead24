import ReturnsCore
import Testing

@Suite("JSON value")
struct JSONValueTests {
    @Test("event data given as a JSON object is read into values of the right kind")
    func parsesObject() throws {
        let object = try JSONValue.parseObject(
            #"{"tracking_number": "1Z999", "weight": 1.5, "insured": true, "note": null, "#
                + #""tags": ["a"], "box": {"w": 2}}"#
        )
        #expect(
            object == [
                "tracking_number": .string("1Z999"), "weight": .number(1.5), "insured": .bool(true), "note": .null,
                "tags": .array([.string("a")]), "box": .object(["w": .number(2)]),
            ])
        #expect(object["tracking_number"]?.stringValue == "1Z999")
        #expect(object["weight"]?.stringValue == nil)
    }

    @Test("event data that is JSON but not an object is refused", arguments: ["[1, 2]", "\"text\"", "42", "null"])
    func refusesNonObject(text: String) throws {
        let error = try #require(throws: JSONObjectError.self) { try JSONValue.parseObject(text) }
        #expect(error.description == "event data must be a JSON object, like {\"tracking_number\": \"1Z999\"}")
    }

    @Test("event data that is not JSON is refused as malformed")
    func refusesMalformed() throws {
        let error = try #require(throws: JSONObjectError.self) { try JSONValue.parseObject("{tracking_number: 1Z}") }
        #expect(error.description.hasPrefix("event data is not valid JSON: "))
    }

    @Test("canonical text sorts keys so the same data always reads the same")
    func canonicalText() throws {
        let a = try JSONValue.parseObject(#"{"b": "x/y", "a": 1, "c": [true, null]}"#)
        let b = try JSONValue.parseObject(#"{"c": [true, null], "a": 1, "b": "x/y"}"#)
        #expect(JSONValue.canonicalText(a) == #"{"a":1,"b":"x/y","c":[true,null]}"#)
        #expect(JSONValue.canonicalText(a) == JSONValue.canonicalText(b))
        #expect(JSONValue.canonicalText([:]) == "{}")
    }
}
