import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a killed Neuromesh leaves beside an output, and how the next one cleans it up.
///
/// Outputs are written into a hidden sibling named after the writer's process,
/// `.NAME.partial-PID-TAG` (TAG tells writers of one process apart), and put in place by
/// renaming under a lock on `.NAME.lock` (``swap(_:into:)``); an earlier output is moved
/// aside to `.NAME.previous-PID-TAG` for that moment. A writer killed with SIGKILL leaves
/// these behind (never the lock: the kernel releases it, and its file is removed by
/// whoever holds it last).
/// Before writing `NAME`, ``clean(beside:)`` removes every such sibling whose process is
/// gone, and if `NAME` itself is missing while a dead writer's `.previous` copy exists (it
/// was killed between the two renames), puts that earlier output back. Siblings of live
/// processes are left alone.
public enum StaleOutputs {
  /// Whether process `pid` exists (a process of another user counts as existing).
  static func isAlive(_ pid: Int32) -> Bool {
    guard pid > 0 else { return false }
    guard kill(pid, 0) == 0 || errno == EPERM else { return false }
    // A killed process not yet reaped by its parent (a zombie) writes nothing more.
    if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
      return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
    return true
  }

  /// Cleans the dead siblings of `target` (see the type's description).
  public static func clean(beside target: URL) {
    let fm = FileManager.default
    let folder = target.deletingLastPathComponent()
    let name = target.lastPathComponent
    guard let entries = try? fm.contentsOfDirectory(atPath: folder.path) else { return }
    var deadPrevious: [URL] = []
    for entry in entries {
      for kind in ["partial", "previous"] {
        let prefix = ".\(name).\(kind)-"
        guard entry.hasPrefix(prefix), let pid = Int32(entry.dropFirst(prefix.count).prefix { $0 != "-" }), !isAlive(pid) else { continue }
        let url = folder.appendingPathComponent(entry)
        if kind == "previous" { deadPrevious.append(url) } else { try? fm.removeItem(at: url) }
      }
    }
    // (Under the lock, so that a live writer's swap is never seen half done.)
    guard !deadPrevious.isEmpty else { return }
    withLock(beside: target) {
      for previous in deadPrevious {
        if !fm.fileExists(atPath: target.path) {
          try? fm.moveItem(at: previous, to: target)
        } else {
          try? fm.removeItem(at: previous)
        }
      }
    }
  }

  /// A name for this writer's sibling of `target`: `.NAME.KIND-PID-TAG`.
  static func sibling(of target: URL, kind: String) -> URL {
    let tag = UUID().uuidString.prefix(8)
    return target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).\(kind)-\(ProcessInfo.processInfo.processIdentifier)-\(tag)")
  }

  /// Runs `body` holding an exclusive `flock` on `.NAME.lock` beside `target`, so that two
  /// writers' renames of one output never interleave. The lock file is removed on the way
  /// out; a writer that finds the file replaced while it waited locks the new one.
  static func withLock<T>(beside target: URL, _ body: () throws -> T) rethrows -> T {
    let path = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).lock").path
    var fd: Int32 = -1
    for _ in 0..<100 {
      fd = open(path, O_CREAT | O_RDWR, 0o644)
      guard fd >= 0 else { break }
      if flock(fd, LOCK_EX) != 0 {
        close(fd)
        fd = -1
        break
      }
      // Still the file at the path (not one unlinked by the previous holder)?
      var held = stat()
      var current = stat()
      if fstat(fd, &held) == 0 && stat(path, &current) == 0 && held.st_ino == current.st_ino && held.st_dev == current.st_dev { break }
      close(fd)
      fd = -1
    }
    defer {
      if fd >= 0 {
        unlink(path)
        close(fd)
      }
    }
    // Without a lock (an unwritable folder), the renames go ahead and report their own error.
    return try body()
  }
}

extension StaleOutputs {
  /// Puts the directory `staging` in place of `target`: an earlier output there is moved
  /// aside and deleted after, so `target` never holds a mix of two outputs; under the lock,
  /// so two writers finishing at once both succeed and the later one's output stays.
  static func swap(_ staging: URL, into target: URL) throws {
    let fm = FileManager.default
    try withLock(beside: target) {
      guard fm.fileExists(atPath: target.path) else {
        try fm.moveItem(at: staging, to: target)
        return
      }
      let previous = sibling(of: target, kind: "previous")
      try fm.moveItem(at: target, to: previous)
      try fm.moveItem(at: staging, to: target)
      try? fm.removeItem(at: previous)
    }
  }
}

/// Writes one file so that it is either all there or not changed at all: into
/// `.NAME.partial-PID-TAG` beside it, then renamed over it (and dead siblings cleaned first).
public enum OutputFile {
  /// Writes `data` to `url` atomically.
  ///
  /// - Throws: ``OutputError`` naming the file, in Neuromesh's words.
  public static func write(_ data: Data, to url: URL, what: String) throws(OutputError) {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    if fm.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
      throw OutputError(path: url.relativePath, message: "is a directory; give the file to write \(what) to")
    }
    let folder = url.deletingLastPathComponent()
    guard fm.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      let what = fm.fileExists(atPath: folder.path) ? "is a file, not a folder; choose another path" : "does not exist; create it first"
      throw OutputError(path: url.relativePath, message: "cannot be written: its folder \(folder.relativePath) \(what)")
    }
    StaleOutputs.clean(beside: url)
    let staging = StaleOutputs.sibling(of: url, kind: "partial")
    do {
      try data.write(to: staging)
      if rename(staging.path, url.path) != 0 {
        let reason = String(cString: strerror(errno))
        try? fm.removeItem(at: staging)
        throw OutputError(path: url.relativePath, message: "could not be put in place (\(reason)); nothing was written")
      }
    } catch let error as OutputError {
      throw error
    } catch {
      try? fm.removeItem(at: staging)
      throw OutputError(path: url.relativePath, message: "could not be written (\(reason(error))); check that its folder is writable; nothing was written")
    }
  }
}
