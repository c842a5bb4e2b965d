extension String {
    /// Appends a section of a text report: a blank line, `title:`, then one line per item indented by two
    /// spaces; nothing when there are no items.
    public mutating func appendSection<Item>(_ title: String, _ items: [Item], line: (Item) -> String) {
        guard !items.isEmpty else { return }
        self += "\n\(title):\n"
        for item in items { self += "  \(line(item))\n" }
    }
}
