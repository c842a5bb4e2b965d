import Foundation
import PostfixConfig
import PostlsCore
import TLSKit

/// The demo's stand-in for smtpd: a small SMTP server on loopback that reads the demo's main.cf and
/// master.cf on every connection, the way each new smtpd process does. So a fix applied to the demo's
/// files really changes what the next probe sees, and a rollback really undoes it.
final class DemoSMTPServer: @unchecked Sendable {
    let listener: TCPListener
    let configDirectory: String
    let implicitTLS: Bool
    private let lock = NSLock()
    private var stopped = false
    private var thread: Thread?

    init(port: UInt16 = 0, configDirectory: String, implicitTLS: Bool) throws {
        listener = try TCPListener(ip: "127.0.0.1", port: port)
        self.configDirectory = configDirectory
        self.implicitTLS = implicitTLS
    }

    var port: UInt16 { listener.address.port }

    func start() {
        let t = Thread { [self] in
            while !isStopped {
                guard let client = try? listener.accept(deadline: .after(seconds: 0.2)) else { continue }
                Thread.detachNewThread { [self] in serve(client); client.close() }
            }
        }
        thread = t
        t.start()
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        usleep(250_000)
        listener.close()
    }

    /// The TLS settings the demo's smtpd would use for this port, read now.
    private func context() -> TLSContext? {
        let defaults = ParameterDefaults.catalog(hostName: "mail.demo.postls.example")
        guard let configuration = try? PostfixConfiguration.load(directory: configDirectory, defaults: defaults),
              let listener = configuration.smtpdListeners.first(where: { $0.listen.port == Int(port) }) else { return nil }
        let tls = listener.tls
        guard tls.securityLevel != "none", !tls.securityLevel.isEmpty else { return nil }
        let list = tls.securityLevel == "encrypt" ? tls.mandatoryProtocols : tls.protocols
        let floor = TLSProtocolSet(list).floor.flatMap(TLSVersion.init(rawValue:))
        let certFile = tls.chainFiles.last ?? tls.certFiles.first
        let keyFile = tls.chainFiles.first ?? tls.keyFiles.first ?? certFile
        guard let certFile, let keyFile else { return nil }
        // Like Postfix 3.7 on OpenSSL 3, legacy versions are possible only at security level 0.
        return try? TLSContext(role: .server, options: .init(minVersion: floor ?? .tls1, securityLevel: 0,
                                                              certificateChainFile: certFile, privateKeyFile: keyFile))
    }

    private func serve(_ socket: TCPSocket) {
        blockPipeSignal()
        let deadline = { Deadline.after(seconds: 10) }
        let banner = "220 mail.demo.postls.example ESMTP Postfix (postls demo)\r\n"
        let tlsContext = context()
        if implicitTLS {
            guard let tlsContext, let tls = try? TLSConnection(context: tlsContext, socket: socket),
                  (try? tls.handshake(deadline: deadline())) != nil else { return }
            try? tls.write(banner, deadline: deadline(), stage: "greeting")
            dialogue(read: { try? tls.readLine(deadline: deadline(), stage: "command") },
                     write: { try? tls.write($0, deadline: deadline(), stage: "reply") }, tlsActive: true)
            tls.shutdown()
            return
        }
        try? socket.write(banner, deadline: deadline(), stage: "greeting")
        var startTLS = false
        dialogue(read: { try? socket.readLine(deadline: deadline(), stage: "command") },
                 write: { try? socket.write($0, deadline: deadline(), stage: "reply") },
                 tlsActive: false, offerTLS: tlsContext != nil, onSTARTTLS: { startTLS = true })
        guard startTLS, let tlsContext, let tls = try? TLSConnection(context: tlsContext, socket: socket),
              (try? tls.handshake(deadline: deadline())) != nil else { return }
        dialogue(read: { try? tls.readLine(deadline: deadline(), stage: "command") },
                 write: { try? tls.write($0, deadline: deadline(), stage: "reply") }, tlsActive: true)
        tls.shutdown()
    }

    private func dialogue(read: () -> String??, write: (String) -> Void, tlsActive: Bool, offerTLS: Bool = false,
                          onSTARTTLS: () -> Void = {}) {
        for _ in 0..<50 {
            guard let line = read(), let command = line?.uppercased() else { return }
            if command.hasPrefix("EHLO") {
                let tls = !tlsActive && offerTLS ? "250-STARTTLS\r\n" : ""
                write("250-mail.demo.postls.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n\(tls)250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n")
            } else if command.hasPrefix("HELO") {
                write("250 mail.demo.postls.example\r\n")
            } else if command.hasPrefix("STARTTLS") && !tlsActive && offerTLS {
                write("220 2.0.0 Ready to start TLS\r\n")
                onSTARTTLS()
                return
            } else if command.hasPrefix("QUIT") {
                write("221 2.0.0 Bye\r\n")
                return
            } else {
                write("502 5.5.2 Error: command not recognized (postls demo)\r\n")
            }
        }
    }

    private func blockPipeSignal() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}
