import Foundation
import PostlsCore
import Testing
@testable import PostfixConfig

/// mynetworks as Postfix computes it, on a fixed set of interfaces (the differential tests check this host's).
@Suite struct MyNetworksTests {
    /// lo 127.0.0.1/8 and ::1/128, eth0 192.0.2.2/24, fd00::2/64 and fe80::fc:ff:fe00:1/64, in getifaddrs order.
    static let host: [InterfaceAddress] = [
        .init(address: [127, 0, 0, 1], mask: [255, 0, 0, 0]),
        .init(address: [192, 0, 2, 2], mask: [255, 255, 255, 0]),
        .init(address: Array(repeating: 0, count: 15) + [1], mask: Array(repeating: 255, count: 16)),
        .init(address: [0xfd, 0] + Array(repeating: 0, count: 13) + [2], mask: Array(repeating: 255, count: 8) + Array(repeating: 0, count: 8)),
        .init(address: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xfc, 0, 0xff, 0xfe, 0, 0, 1], mask: Array(repeating: 255, count: 8) + Array(repeating: 0, count: 8)),
    ]

    @Test(arguments: [
        // What postconf printed on a host with these interfaces (IPv4 first; a trailing space after each pattern).
        ("subnet", "all", "all", "127.0.0.0/8 192.0.2.0/24 [::1]/128 [fd00::]/64 [fe80::]/64 "),
        ("host", "all", "all", "127.0.0.1/32 192.0.2.2/32 [::1]/128 [fd00::2]/128 [fe80::fc:ff:fe00:1]/128 "),
        ("class", "all", "all", "127.0.0.0/8 192.0.2.0/24 [::1]/128 [fd00::]/64 [fe80::]/64 "),
        ("host", "loopback-only", "all", "127.0.0.1/32 [::1]/128 "),
        ("subnet", "all", "ipv4", "127.0.0.0/8 192.0.2.0/24 "),
        ("subnet", "192.0.2.2, [::1]", "all", "192.0.2.0/24 [::1]/128 "),
        ("subnet", "all", "", ""),
    ])
    func patternsFollowStyleInterfacesAndProtocols(style: String, interfaces: String, protocols: String, expected: String) {
        #expect(MyNetworks.compute(style: style, inetInterfaces: interfaces, inetProtocols: protocols, host: Self.host) == expected)
    }

    @Test func whatPostfixRefusesIsNilNotAGuess() {
        #expect(MyNetworks.compute(style: "host subnet", inetInterfaces: "all", inetProtocols: "all", host: Self.host) == nil)
        #expect(MyNetworks.compute(style: "host", inetInterfaces: "198.51.100.1", inetProtocols: "all", host: Self.host) == nil)
        #expect(MyNetworks.compute(style: "host", inetInterfaces: "mail.example.org", inetProtocols: "all", host: Self.host) == nil)
    }

    /// mynetworks_style's default follows compatibility_level, and so does mynetworks.
    @Test(arguments: [("", "subnet"), ("compatibility_level = 0\n", "subnet"), ("compatibility_level = 2\n", "host"),
                      ("compatibility_level = 3.6\n", "host"), ("compatibility_level = 2\nmynetworks_style = class\n", "class")])
    func theDefaultFollowsCompatibilityLevel(main: String, style: String) throws {
        let defaults = ParameterDefaults.catalog(ParameterCatalog.bundled, hostName: "mx", interfaces: Self.host)
        let config = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: main + "x = $mynetworks, 10.0.0.0/8\n"),
                                          master: MasterCF(text: ""), defaults: defaults)
        #expect(config.value("mynetworks_style") == style)
        let expected = MyNetworks.compute(style: style, inetInterfaces: "all", inetProtocols: "all", host: Self.host)
        #expect(config.value("mynetworks") == expected)
        // postconf -x keeps the space before the comma.
        #expect(normalizePostconfWhitespace(config.value("x")) == normalizePostconfWhitespace((expected ?? "") + ", 10.0.0.0/8"))
        #expect(config.value("x").contains(" , 10.0.0.0/8"))
    }
}
