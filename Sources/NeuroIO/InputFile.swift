import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The one way Neuromesh reads a file it was given: the path is looked at before it is
/// opened, so a directory, a named pipe (which would block forever), a device, a socket, a
/// symbolic-link loop or a missing file is refused with a message that says what the path
/// is — never a Foundation error text, never a hang.
public enum InputFile {
  /// What is at a path, when it is not a readable regular file (nil when it is one).
  public static func problem(at url: URL) -> String? {
    var info = stat()
    if stat(url.path, &info) != 0 {
      switch errno {
      case ENOENT:
        var link = stat()
        return lstat(url.path, &link) == 0 ? "is a symbolic link to a missing file" : "does not exist"
      case ELOOP: return "is a loop of symbolic links"
      case ENOTDIR: return "does not exist (a part of the path is not a directory)"
      case EACCES: return "cannot be reached (permission denied on a directory of the path)"
      case ENAMETOOLONG: return "is a path too long for the file system"
      default: return "cannot be looked at (\(String(cString: strerror(errno))))"
      }
    }
    switch info.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR: return "is a directory, not a file"
    case S_IFIFO: return "is a named pipe (FIFO), not a regular file"
    case S_IFCHR, S_IFBLK: return "is a device, not a regular file"
    case S_IFSOCK: return "is a socket, not a regular file"
    default: return "is not a regular file"
    }
    if access(url.path, R_OK) != 0 { return "is not readable (permission denied)" }
    return nil
  }

  /// The largest file read: 8 GiB (a sparse file may claim terabytes).
  public static let maximumSize = 8 << 30

  /// The bytes of the regular file at `url`.
  ///
  /// - Parameters:
  ///   - display: the path as the user gave it, for the message.
  ///   - fix: what to do, when the path is not a readable regular file.
  static func bytes(at url: URL, display: String, fix: String) throws(InputFileError) -> [UInt8] {
    if let problem = problem(at: url) { throw InputFileError(file: display, problem: problem, fix: fix) }
    func failure(_ what: String) -> InputFileError {
      InputFileError(file: display, problem: "could not be read (\(what): \(String(cString: strerror(errno))))", fix: fix)
    }
    // Opened without blocking and looked at again through the descriptor, so a path swapped
    // for a pipe after the check above still cannot block; read with plain POSIX calls.
    let descriptor = open(url.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw failure("open") }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { throw failure("fstat") }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw InputFileError(file: display, problem: "is not a regular file", fix: fix)
    }
    guard info.st_size <= maximumSize else {
      throw InputFileError(
        file: display, problem: "is \(info.st_size) bytes, more than the \(maximumSize >> 30) GiB Neuromesh reads from one file",
        fix: fix)
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(min(Int(info.st_size), 1 << 28))
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw failure("read")
      }
      if count == 0 { return bytes }
      bytes.append(contentsOf: chunk[0..<count])
    }
  }

  /// The text of the regular file at `url`, which must be UTF-8.
  static func text(at url: URL, display: String, fix: String) throws(InputFileError) -> String {
    let data = try bytes(at: url, display: display, fix: fix)
    guard let text = String(validating: data, as: UTF8.self) else {
      throw InputFileError(file: display, problem: "is not UTF-8 text", fix: fix)
    }
    return text
  }
}
