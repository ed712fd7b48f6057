import NetworkModel

/// How names become output file names (`probes/NAME.csv`), and the check that two names
/// never share a file and that none is too long — applied when a network or a core map is
/// read, so a run that would overwrite one trace with another is refused before it starts.
public enum OutputNames {
  /// The stem of a probe's output file: the name with every character but letters,
  /// digits, `-`, `_` and `.` replaced by `_`.
  public static func probeFileStem(_ name: String) -> String {
    String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
  }

  /// The longest file stem, in UTF-8 bytes (file systems hold 255-byte names; `.csv`,
  /// `.npy` and the writer's temporary suffixes need the rest).
  public static let maximumStemBytes = 200

  /// Problems with the probes named `names` (JSON path prefix `probes`): two names whose
  /// files collide (case ignored, as on a case-insensitive file system), or a name too long.
  static func probeIssues(_ names: [String]) -> [NetworkIssue] {
    var issues: [NetworkIssue] = []
    var stems: [String: String] = [:]
    for (i, name) in names.enumerated() {
      let stem = probeFileStem(name)
      if let other = stems[stem.lowercased()], other != name {
        issues.append(
          NetworkIssue(
            path: "probes[\(i)].name", problem: "probes '\(other)' and '\(name)' would both be written to probes/\(stem).csv",
            fix: "give the probes names that differ in letters, digits, '-', '_' or '.' (other characters become '_', and case is ignored)"))
      } else {
        stems[stem.lowercased()] = name
      }
      if stem.utf8.count > maximumStemBytes {
        issues.append(
          NetworkIssue(
            path: "probes[\(i)].name", problem: "is \(stem.utf8.count) bytes long, more than the \(maximumStemBytes) an output file name can take",
            fix: "give the probe a shorter name"))
      }
    }
    return issues
  }
}
