import Foundation

/// A progress line with rate and time left on standard error, drawn only when standard error is a terminal.
final class ProgressBar: Sendable {
    private let total: Int
    private let started = Date()
    private let isShown: Bool

    init(file: String) {
        isShown = isatty(STDERR_FILENO) == 1
        total = ((try? FileManager.default.attributesOfItem(atPath: file)[.size]) as? Int) ?? 0
    }

    func update(_ done: Int) {
        guard isShown, total > 0 else { return }
        let fraction = min(1, Double(done) / Double(total))
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed / 1_048_576 : 0
        let left = fraction > 0 ? elapsed / fraction - elapsed : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(format: "\r[%@] %3.0f%%  %.1f MB/s  ETA %.0fs ", bar, fraction * 100, rate, left)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard isShown, total > 0 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
