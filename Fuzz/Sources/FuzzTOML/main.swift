import TOML

/// Any byte string is either a document or a TOMLError; never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? TOMLParser.parse(bytes: bytes)
    return 0
}
