import ArgumentParser

struct PartnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partner", abstract: "Work with logistics partners: import their manifests, see their scorecards.",
        subcommands: [PartnerImportCommand.self, PartnerScorecardCommand.self])
}
