import Foundation
import NeuromeshCLI

let (status, output) = Neuromesh.main(arguments: Array(CommandLine.arguments.dropFirst()))
FileHandle.standardOutput.write(Data(output.standardOutput.utf8))
FileHandle.standardError.write(Data(output.standardError.utf8))
exit(status.rawValue)
