/// Tells once about the columns of a file that no field is read from (real exports carry many).
func warnOfIgnoredColumns(_ columns: [String], in file: String, warn: (String) -> Void) {
    guard !columns.isEmpty else { return }
    warn("\(file): ignoring column\(columns.count == 1 ? "" : "s") \(columns.joined(separator: ", "))")
}
