import Foundation
import Testing

@testable import NeuroIO

@Suite("Formatting run logs")
struct ByteBufferTests {
  @Test("decimal digits are String(value)'s, at every length and sign; growth keeps what was written")
  func decimals() {
    var values = [0, 1, -1, 9, 10, -10, 99, 100, 8_388_607, -8_388_608, Int(Int32.max), Int(Int32.min), Int.max, Int.min]
    var power = 1
    for _ in 0..<18 {
      power *= 10
      values += [power - 1, power, -power]
    }
    let buffer = ByteBuffer(capacity: 8)
    var expected = ""
    for v in values {
      buffer.reserve(21)
      buffer.appendDecimal(v)
      buffer.append(UInt8(ascii: ","))
      expected += "\(v),"
    }
    #expect(String(decoding: buffer.data, as: UTF8.self) == expected)
    buffer.removeAll()
    buffer.reserve(4)
    buffer.appendLittleEndian(-2)
    #expect(Array(buffer.data) == [0xFE, 0xFF, 0xFF, 0xFF])
  }
}
