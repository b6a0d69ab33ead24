import Foundation

/// Writes `text` to a fresh file under the temporary folder and returns its path.
func temporaryFile(_ text: String, name: String = "file.csv") throws -> String {
    let folder = NSTemporaryDirectory() + "reconcile-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/" + name
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}
