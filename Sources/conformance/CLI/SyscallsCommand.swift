import ArgumentParser
import Conformance
import Foundation

extension SupportMatrixFormat: ExpressibleByArgument {}

extension ConformanceCommand {
    /// `conformance syscalls`: the kernel's syscall table as a support matrix, with the fixtures
    /// whose guest runs made each syscall.
    struct Syscalls: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the syscall support matrix from the kernel's table, with the fixtures that cover each syscall.",
            discussion: """
                Reads \(SyscallTableParser.relativePath) (the one source of truth) and the coverage \
                that `conformance run` records in \(SyscallCoverage.relativePath): the syscalls each \
                fixture made in the guest. Exits 2 when the table cannot be parsed or there is no coverage yet.
                """
        )

        @Option(help: "The package root (default: the nearest folder up from here with Package.swift and Fixtures/).")
        var root: String?

        @Option(help: "Output format: \(SupportMatrixFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: SupportMatrixFormat = .text

        func run() throws {
            let packageRoot = try SuiteOptions.parse(root.map { ["--root", $0] } ?? []).packageRoot()
            let tablePath = packageRoot + "/" + SyscallTableParser.relativePath
            let coveragePath = packageRoot + "/" + SyscallCoverage.relativePath
            let table: [SyscallTableEntry]
            do {
                table = try SyscallTableParser.load(path: tablePath)
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            let coverage: SyscallCoverage
            do {
                guard let stored = try SyscallCoverage.load(path: coveragePath) else {
                    printError("error: no coverage yet (\(coveragePath) is missing): run `conformance run` first")
                    throw ExitCode(2)
                }
                coverage = stored
            } catch let exit as ExitCode {
                throw exit
            } catch {
                printError("error: \(coveragePath): cannot read coverage: \(error); run `conformance run` again")
                throw ExitCode(2)
            }
            let matrix = SupportMatrix.join(table: table, coverage: coverage, tablePath: SyscallTableParser.relativePath)
            print(format.render(matrix), terminator: "")
        }
    }
}

/// Stores which syscalls each fixture of `report` made in the guest (from its trace file) in
/// the coverage file `conformance syscalls` reads; a problem is a warning, not a failed run.
/// Returns the runs it stored.
@discardableResult
func recordSyscallCoverage(_ report: Report, traceDirectory: String, packageRoot: String) -> [SyscallCoverage.FixtureRun] {
    let path = packageRoot + "/" + SyscallCoverage.relativePath
    var coverage = (try? SyscallCoverage.load(path: path)) ?? SyscallCoverage()
    let existing = (try? FixtureCatalog.discover(in: packageRoot + "/Fixtures")).map { Set($0.fixtures.map(\.id)) }
    let runs = SyscallCoverage.runs(of: report.results, traceDirectory: traceDirectory)
    coverage.merge(runs, existing: existing)
    do {
        try coverage.save(path: path)
    } catch {
        printError("warning: cannot write syscall coverage to \(path): \(error)")
    }
    return runs
}
