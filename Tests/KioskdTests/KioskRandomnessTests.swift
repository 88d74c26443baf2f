import Testing
@testable import kioskd

/// The daemon's call engine is never seeded: its ICE credentials, SSRCs and transaction IDs
/// come from the system CSPRNG.
@Suite struct KioskRandomnessTests {
    @Test func theKiosksPeerConfigurationUsesTheSystemGenerator() {
        #expect(!KioskService.peerConfiguration().random.isSeeded)
    }
}
