// The only importer of CNcurses: draws a ScreenBuffer, reads keys, handles resize.
import CNcurses

public enum CursesInfo {
    /// The ncurses library version this binary runs with, e.g. "ncurses 6.4.20221231".
    public static var version: String { String(cString: CNcurses_version()) }
}
