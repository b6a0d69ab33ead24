import ArgumentParser
import ReturnsCore
import ReturnsEngine
import ReturnsReconcile

// Options whose values are a closed set take the library's enum, so ArgumentParser refuses anything else (exit 64)
// and lists the values in the help.

extension ChannelKind: ExpressibleByArgument {}
extension NotificationStatus: ExpressibleByArgument {}
extension RefundProviderKind: ExpressibleByArgument {}
extension RefundStatus: ExpressibleByArgument {}
extension ReportWriter.Format: ExpressibleByArgument {}
extension SettlementLayout.Preset: ExpressibleByArgument {}
extension WorkflowGraphFormat: ExpressibleByArgument {}

extension OrderFileReader.Format: ExpressibleByArgument {}
