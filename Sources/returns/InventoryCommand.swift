import ArgumentParser
import Foundation
import ReturnsEngine

struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory", abstract: "Hand stock movements from graded returns to the inventory system.",
        subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write pending stock movements as CSV and mark them delivered.",
            discussion: """
                A graded item whose disposition is restock or open_box queues one movement (return, line, sku, \
                quantity, grade, disposition) in the grading transaction. Each movement is exported once; if the \
                run fails before marking them, the next run exports them again (receivers deduplicate by return_id \
                and line).
                """)

        @Option(help: "The file to write (default: standard output).")
        var output: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var format: OutputOptions

        func validate() throws {
            try validateJSONNeedsFile(json: format.json, output: output)
        }

        func run() async throws {
            let count = try await writing(to: output) { handle in
                try await database.withEngine { engine in try await engine.inventory.export(to: handle) }
            }
            if let output {
                if format.json { return try printJSON(ExportOutput(file: output, movements: count)) }
                print("wrote \(count) stock movements to \(output)")
            }
        }

        struct ExportOutput: Encodable {
            var file: String
            var movements: Int
        }
    }
}
