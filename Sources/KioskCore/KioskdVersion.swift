/// kioskd's version, as `kioskd version` prints it and the kiosk's signaling hello carries it.
public enum KioskdVersion {
    public static let string = "0.1.0"
}
