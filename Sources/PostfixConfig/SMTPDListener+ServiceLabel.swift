extension SMTPDListener {
    /// The service label this listener's log lines carry: `-o syslog_name=postfix/submission` gives
    /// `postfix/submission/smtpd`, read back by the log engine as "submission"; without it, "smtp".
    /// The one place that maps a listener to its label: the diagnosis, the own-probe filter and the wizard ask here.
    public var logServiceLabel: String {
        if let name = service.parameters["syslog_name"] {
            let parts = name.split(separator: "/")
            if parts.count >= 2 { return String(parts[parts.count - 1]) }
        }
        return "smtp"
    }

    /// The name to show for this listener: its log label when master.cf gives it a `syslog_name`, else the
    /// service's own name when that names a port (`submission`, `smtps`), else "smtp".
    public var displayName: String {
        if service.parameters["syslog_name"] != nil { return logServiceLabel }
        return ListenAddress.knownPorts[service.name] != nil ? service.name : "smtp"
    }
}
