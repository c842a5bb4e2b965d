function __postls_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __postls_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __postls_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __postls_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __postls_parse_tokens -S
    set -l unparsed_tokens (__postls_tokens -pc)
    switch $unparsed_tokens[1]
    case 'postls'
        __postls_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'wizard'
            __postls_parse_subcommand 0 'config-dir=' 'log=+' 'host=+' 'port=' 'implicit=' 'name=' 'smtp-port=' 'ca-file=' 'no-probe' 'no-logs' 'timeout=' 'domain=' 'resolver=' 'tlsrpt=+' 'dovecot-config=' 'no-color' 'version' 'h/help'
        case 'version'
            __postls_parse_subcommand 0 'json' 'version' 'h/help'
        case 'config'
            __postls_parse_subcommand 0 'config-dir=' 'json' 'all' 'dovecot-config=' 'no-color' 'version' 'h/help'
        case 'probe'
            __postls_parse_subcommand -r 1 'port=' 'starttls=' 'ipv4' 'ipv6' 'implicit=' 'name=' 'ca-file=' 'timeout=' 'json' 'max-connections=' 'ciphers' 'ehlo=' 'progress' 'no-color' 'as=' 'domain=' 'resolver=' 'version' 'h/help'
        case 'logs'
            __postls_parse_subcommand -r 1 'journal' 'since=' 'follow' 'config-dir=' 'include-own-probes' 'json' 'version' 'h/help'
        case 'diagnose'
            __postls_parse_subcommand 0 'config-dir=' 'log=+' 'host=+' 'port=' 'implicit=' 'name=' 'smtp-port=' 'ca-file=' 'no-probe' 'no-logs' 'timeout=' 'domain=' 'resolver=' 'tlsrpt=+' 'dovecot-config=' 'json' 'no-color' 'version' 'h/help'
        case 'fix'
            __postls_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __postls_parse_subcommand 0 'config-dir=' 'log=+' 'host=+' 'port=' 'implicit=' 'name=' 'smtp-port=' 'ca-file=' 'no-probe' 'no-logs' 'timeout=' 'domain=' 'resolver=' 'tlsrpt=+' 'dovecot-config=' 'json' 'version' 'h/help'
            case 'show'
                __postls_parse_subcommand 1 'config-dir=' 'log=+' 'host=+' 'port=' 'implicit=' 'name=' 'smtp-port=' 'ca-file=' 'no-probe' 'no-logs' 'timeout=' 'domain=' 'resolver=' 'tlsrpt=+' 'dovecot-config=' 'version' 'h/help'
            case 'apply'
                __postls_parse_subcommand 1 'yes' 'no-reload' 'config-dir=' 'log=+' 'host=+' 'port=' 'implicit=' 'name=' 'smtp-port=' 'ca-file=' 'no-probe' 'no-logs' 'timeout=' 'domain=' 'resolver=' 'tlsrpt=+' 'dovecot-config=' 'version' 'h/help'
            case 'rollback'
                __postls_parse_subcommand 1 'config-dir=' 'dovecot-config=' 'no-reload' 'version' 'h/help'
            end
        case 'check'
            __postls_parse_subcommand 0 'host=+' 'port=' 'implicit=' 'name=' 'ca-file=' 'warning-days=' 'critical-days=' 'timeout=' 'format=' 'output=' 'config-dir=' 'log=+' 'failures-warning=' 'failures-critical=' 'version' 'h/help'
        case 'dns'
            __postls_parse_subcommand 1 'resolver=' 'port=' 'ca-file=' 'dkim-selector=+' 'key-file=' 'cert-file=' 'timeout=' 'json' 'no-color' 'version' 'h/help'
        case 'tlsrpt'
            __postls_parse_subcommand -r 1 'json' 'no-color' 'version' 'h/help'
        case 'demo'
            __postls_parse_subcommand 0 'print' 'json' 'no-color' 'version' 'h/help'
        case 'report'
            __postls_parse_subcommand 0 'config-dir=' 'log=+' 'host=+' 'port=' 'implicit=' 'name=' 'smtp-port=' 'ca-file=' 'no-probe' 'no-logs' 'timeout=' 'domain=' 'resolver=' 'tlsrpt=+' 'dovecot-config=' 'format=' 'redact' 'output=' 'bundle=' 'version' 'h/help'
        case 'open'
            __postls_parse_subcommand 1 'no-color' 'version' 'h/help'
        case 'setup'
            __postls_parse_subcommand 0 'config-dir=' 'hostname=' 'key=' 'cert=' 'key-file=' 'self-signed' 'csr-only' 'san=+' 'yes' 'dry-run' 'no-reload' 'dovecot-config=' 'ca-file=' 'timeout=' 'version' 'h/help'
        case 'help'
            __postls_parse_subcommand -r 1 'version'
        end
    end
end

function __postls_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __postls_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __postls_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __postls_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__postls_tokens -p)
    if test -z "$(__postls_tokens -t)"
        set -l index (count (__postls_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'postls' -f
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'wizard' -d 'The interactive wizard (what `postls` alone runs): overview, config, probe, logs, fixes, apply, report, DNS (with --domain, or a domain from main.cf).'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'version' -d 'Print the versions of postls, OpenSSL, ncurses and (if installed) Postfix.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'config' -d 'Read main.cf and master.cf the way Postfix does and check their TLS settings.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'probe' -d 'Live-probe SMTP listeners with the system OpenSSL: STARTTLS, TLS versions, chain, verification.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'logs' -d 'Read mail logs and classify TLS failures by cause.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'diagnose' -d 'Join config, a live probe and the mail logs into diagnoses with evidence and fixes.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'fix' -d 'List, show, apply and roll back the fixes `postls diagnose` proposes.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'check' -d 'A Nagios/Icinga/monitoring-plugins check: TLS works, certificates are not expiring.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'dns' -d 'Check a mail domain\'s DNS the way senders see it: MX, DANE/TLSA, MTA-STS, TLS-RPT, SPF, DMARC, DKIM.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'tlsrpt' -d 'Summarise SMTP TLS reports (RFC 8460): how senders saw TLS to your MX hosts.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'demo' -d 'Try postls without a mail server: a broken demo configuration, its logs, and live TLS endpoints.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'report' -d 'Write a support-ticket report: versions, listeners, findings, probe, log summary, diagnoses and fixes.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'open' -d 'Show a support bundle (`postls report --bundle FILE`) in the wizard, read-only: every screen as the customer saw it.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'setup' -d 'First-time TLS setup: certificate, main.cf/master.cf settings, submission ports, Dovecot, DNS records.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" config-dir' -l 'config-dir' -d 'Postfix configuration directory (like postconf -c).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard"' -l 'log' -d 'Mail log to read (repeatable; default: the system\'s mail logs, rotated ones included).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard"' -l 'host' -d 'Host to probe (repeatable; default: each listener\'s own address, else 127.0.0.1).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" port' -l 'port' -d 'Comma-separated ports to probe (default: every smtpd listener in master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" implicit' -l 'implicit' -d 'Ports that use implicit TLS (wrapper-mode services are detected from master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" name' -l 'name' -d 'The name the certificate must cover, e.g. the MX name (default: myhostname).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" smtp-port' -l 'smtp-port' -d 'Comma-separated ports that receive mail from the internet, e.g. behind a port forward (default 25): their listeners get the MX rules even on loopback.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" ca-file' -l 'ca-file' -d 'Verify certificates against these trust anchors instead of the system store.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" no-probe' -l 'no-probe' -d 'Do not probe the listeners.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" no-logs' -l 'no-logs' -d 'Do not read mail logs.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" timeout' -l 'timeout' -d 'Seconds allowed for each probe phase.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" domain' -l 'domain' -d 'Also check this mail domain\'s DNS (MX, TLSA/DANE, MTA-STS) against what the server serves.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" resolver' -l 'resolver' -d 'Resolver for --domain (a validating one reports DNSSEC).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard"' -l 'tlsrpt' -d 'Senders\' TLS reports (RFC 8460) to join with the logs and the probe: files, Maildir folders, mbox, .eml, gzip, as `postls tlsrpt` reads them (repeatable).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" dovecot-config' -l 'dovecot-config' -d 'Dovecot configuration to check too (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" no-color' -l 'no-color' -d 'Do not color the text output (it is plain anyway when NO_COLOR is set or standard output is not a terminal).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls wizard" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls version" json' -l 'json' -d 'Print JSON instead of text, in the shape of the command\'s JSON Schema (named above; in /usr/share/doc/postls/json/ when installed).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls version" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls version" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls config" config-dir' -l 'config-dir' -d 'Postfix configuration directory (like postconf -c).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls config" json' -l 'json' -d 'Print JSON instead of text, in the shape of the command\'s JSON Schema (named above; in /usr/share/doc/postls/json/ when installed).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls config" all' -l 'all' -d 'Also list every TLS-related parameter at its default.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls config" dovecot-config' -l 'dovecot-config' -d 'Dovecot configuration file (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls config" no-color' -l 'no-color' -d 'Do not color the text output (it is plain anyway when NO_COLOR is set or standard output is not a terminal).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls config" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls config" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" port' -l 'port' -d 'Comma-separated ports.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" starttls' -l 'starttls' -d 'Ports that use STARTTLS (overrides the 465 default).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" ipv4' -l 'ipv4' -d 'Probe IPv4 addresses only.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" ipv6' -l 'ipv6' -d 'Probe IPv6 addresses only.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" implicit' -l 'implicit' -d 'Ports that use implicit TLS (wrapper mode; 465 is implicit by default).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" name' -l 'name' -d 'The name the certificate must cover, e.g. the MX name (default: each host probed).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" ca-file' -l 'ca-file' -d 'Verify against these trust anchors instead of the system store.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" timeout' -l 'timeout' -d 'Seconds allowed for each phase (connect, greeting, EHLO, STARTTLS, handshake); each listener gets at most 4 times that in all.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" json' -l 'json' -d 'Print JSON instead of text, in the shape of the command\'s JSON Schema (named above; in /usr/share/doc/postls/json/ when installed).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" max-connections' -l 'max-connections' -d 'Listeners probed at once (connections open at once).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" ciphers' -l 'ciphers' -d 'Also enumerate the accepted cipher suites per TLS version (many connections).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" ehlo' -l 'ehlo' -d 'The name to send in EHLO.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" progress' -l 'progress' -d 'Show progress on stderr even when it is not a terminal.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" no-color' -l 'no-color' -d 'Do not color the text output (it is plain anyway when NO_COLOR is set or standard output is not a terminal).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" as' -l 'as' -d 'Named senders to simulate, one handshake each (default: all of gmail,microsoft365,postfix,postfix_dane,legacy, on ports other than 587 and implicit TLS, which serve mail clients); none: only the probe\'s own five connections.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" domain' -l 'domain' -d 'The mail domain: enforcing senders check the certificate against its MTA-STS policy (enforce) and DNSSEC-valid TLSA records.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" resolver' -l 'resolver' -d 'DNS resolver for --domain (default: the first nameserver in /etc/resolv.conf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls probe" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls logs" journal' -l 'journal' -d 'Read the systemd journal (journalctl) instead of files.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls logs" since' -l 'since' -d 'Only lines logged since TIME: 2024-04-03, 2024-04-03T07:00:00Z, or an age like 12h, 7d.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls logs" follow' -l 'follow' -d 'Keep reading as the log grows (follows rotation); prints events as they happen.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls logs" config-dir' -l 'config-dir' -d 'Postfix configuration directory, for finding maillog_file.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls logs" include-own-probes' -l 'include-own-probes' -d 'Count failed sessions that were postls\'s own earlier probes (from the probe record) as failures too.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls logs" json' -l 'json' -d 'Print JSON instead of text, in the shape of the command\'s JSON Schema (named above; in /usr/share/doc/postls/json/ when installed).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls logs" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls logs" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" config-dir' -l 'config-dir' -d 'Postfix configuration directory (like postconf -c).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose"' -l 'log' -d 'Mail log to read (repeatable; default: the system\'s mail logs, rotated ones included).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose"' -l 'host' -d 'Host to probe (repeatable; default: each listener\'s own address, else 127.0.0.1).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" port' -l 'port' -d 'Comma-separated ports to probe (default: every smtpd listener in master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" implicit' -l 'implicit' -d 'Ports that use implicit TLS (wrapper-mode services are detected from master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" name' -l 'name' -d 'The name the certificate must cover, e.g. the MX name (default: myhostname).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" smtp-port' -l 'smtp-port' -d 'Comma-separated ports that receive mail from the internet, e.g. behind a port forward (default 25): their listeners get the MX rules even on loopback.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" ca-file' -l 'ca-file' -d 'Verify certificates against these trust anchors instead of the system store.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" no-probe' -l 'no-probe' -d 'Do not probe the listeners.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" no-logs' -l 'no-logs' -d 'Do not read mail logs.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" timeout' -l 'timeout' -d 'Seconds allowed for each probe phase.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" domain' -l 'domain' -d 'Also check this mail domain\'s DNS (MX, TLSA/DANE, MTA-STS) against what the server serves.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" resolver' -l 'resolver' -d 'Resolver for --domain (a validating one reports DNSSEC).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose"' -l 'tlsrpt' -d 'Senders\' TLS reports (RFC 8460) to join with the logs and the probe: files, Maildir folders, mbox, .eml, gzip, as `postls tlsrpt` reads them (repeatable).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" dovecot-config' -l 'dovecot-config' -d 'Dovecot configuration to check too (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" json' -l 'json' -d 'Print JSON instead of text, in the shape of the command\'s JSON Schema (named above; in /usr/share/doc/postls/json/ when installed).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" no-color' -l 'no-color' -d 'Do not color the text output (it is plain anyway when NO_COLOR is set or standard output is not a terminal).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls diagnose" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls fix" -eq 1' -fa 'list' -d 'List the fixes for the current diagnoses.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls fix" -eq 1' -fa 'show' -d 'Show one fix: its diff, commands and impact.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls fix" -eq 1' -fa 'apply' -d 'Apply a fix safely, reload Postfix, probe again, and compare.'
complete -c 'postls' -n '__postls_should_offer_completions_for_positional "postls fix" -eq 1' -fa 'rollback' -d 'Restore the files of the last applied fix (or journal entry ID) byte for byte, remove the files it created, and reload.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" config-dir' -l 'config-dir' -d 'Postfix configuration directory (like postconf -c).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list"' -l 'log' -d 'Mail log to read (repeatable; default: the system\'s mail logs, rotated ones included).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list"' -l 'host' -d 'Host to probe (repeatable; default: each listener\'s own address, else 127.0.0.1).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" port' -l 'port' -d 'Comma-separated ports to probe (default: every smtpd listener in master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" implicit' -l 'implicit' -d 'Ports that use implicit TLS (wrapper-mode services are detected from master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" name' -l 'name' -d 'The name the certificate must cover, e.g. the MX name (default: myhostname).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" smtp-port' -l 'smtp-port' -d 'Comma-separated ports that receive mail from the internet, e.g. behind a port forward (default 25): their listeners get the MX rules even on loopback.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" ca-file' -l 'ca-file' -d 'Verify certificates against these trust anchors instead of the system store.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" no-probe' -l 'no-probe' -d 'Do not probe the listeners.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" no-logs' -l 'no-logs' -d 'Do not read mail logs.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" timeout' -l 'timeout' -d 'Seconds allowed for each probe phase.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" domain' -l 'domain' -d 'Also check this mail domain\'s DNS (MX, TLSA/DANE, MTA-STS) against what the server serves.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" resolver' -l 'resolver' -d 'Resolver for --domain (a validating one reports DNSSEC).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list"' -l 'tlsrpt' -d 'Senders\' TLS reports (RFC 8460) to join with the logs and the probe: files, Maildir folders, mbox, .eml, gzip, as `postls tlsrpt` reads them (repeatable).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" dovecot-config' -l 'dovecot-config' -d 'Dovecot configuration to check too (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" json' -l 'json' -d 'Print JSON instead of text, in the shape of the command\'s JSON Schema (named above; in /usr/share/doc/postls/json/ when installed).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" config-dir' -l 'config-dir' -d 'Postfix configuration directory (like postconf -c).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show"' -l 'log' -d 'Mail log to read (repeatable; default: the system\'s mail logs, rotated ones included).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show"' -l 'host' -d 'Host to probe (repeatable; default: each listener\'s own address, else 127.0.0.1).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" port' -l 'port' -d 'Comma-separated ports to probe (default: every smtpd listener in master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" implicit' -l 'implicit' -d 'Ports that use implicit TLS (wrapper-mode services are detected from master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" name' -l 'name' -d 'The name the certificate must cover, e.g. the MX name (default: myhostname).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" smtp-port' -l 'smtp-port' -d 'Comma-separated ports that receive mail from the internet, e.g. behind a port forward (default 25): their listeners get the MX rules even on loopback.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" ca-file' -l 'ca-file' -d 'Verify certificates against these trust anchors instead of the system store.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" no-probe' -l 'no-probe' -d 'Do not probe the listeners.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" no-logs' -l 'no-logs' -d 'Do not read mail logs.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" timeout' -l 'timeout' -d 'Seconds allowed for each probe phase.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" domain' -l 'domain' -d 'Also check this mail domain\'s DNS (MX, TLSA/DANE, MTA-STS) against what the server serves.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" resolver' -l 'resolver' -d 'Resolver for --domain (a validating one reports DNSSEC).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show"' -l 'tlsrpt' -d 'Senders\' TLS reports (RFC 8460) to join with the logs and the probe: files, Maildir folders, mbox, .eml, gzip, as `postls tlsrpt` reads them (repeatable).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" dovecot-config' -l 'dovecot-config' -d 'Dovecot configuration to check too (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix show" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" yes' -l 'yes' -d 'Apply without asking.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" no-reload' -l 'no-reload' -d 'Do not reload Postfix after writing.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" config-dir' -l 'config-dir' -d 'Postfix configuration directory (like postconf -c).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply"' -l 'log' -d 'Mail log to read (repeatable; default: the system\'s mail logs, rotated ones included).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply"' -l 'host' -d 'Host to probe (repeatable; default: each listener\'s own address, else 127.0.0.1).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" port' -l 'port' -d 'Comma-separated ports to probe (default: every smtpd listener in master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" implicit' -l 'implicit' -d 'Ports that use implicit TLS (wrapper-mode services are detected from master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" name' -l 'name' -d 'The name the certificate must cover, e.g. the MX name (default: myhostname).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" smtp-port' -l 'smtp-port' -d 'Comma-separated ports that receive mail from the internet, e.g. behind a port forward (default 25): their listeners get the MX rules even on loopback.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" ca-file' -l 'ca-file' -d 'Verify certificates against these trust anchors instead of the system store.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" no-probe' -l 'no-probe' -d 'Do not probe the listeners.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" no-logs' -l 'no-logs' -d 'Do not read mail logs.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" timeout' -l 'timeout' -d 'Seconds allowed for each probe phase.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" domain' -l 'domain' -d 'Also check this mail domain\'s DNS (MX, TLSA/DANE, MTA-STS) against what the server serves.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" resolver' -l 'resolver' -d 'Resolver for --domain (a validating one reports DNSSEC).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply"' -l 'tlsrpt' -d 'Senders\' TLS reports (RFC 8460) to join with the logs and the probe: files, Maildir folders, mbox, .eml, gzip, as `postls tlsrpt` reads them (repeatable).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" dovecot-config' -l 'dovecot-config' -d 'Dovecot configuration to check too (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix apply" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix rollback" config-dir' -l 'config-dir' -d 'Postfix configuration directory.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix rollback" dovecot-config' -l 'dovecot-config' -d 'Dovecot configuration whose files may name a created file (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix rollback" no-reload' -l 'no-reload' -d 'Do not reload Postfix.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix rollback" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls fix rollback" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check"' -l 'host' -d 'Host to check (repeatable; default: this machine\'s myhostname).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" port' -l 'port' -d 'Comma-separated ports.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" implicit' -l 'implicit' -d 'Ports that use implicit TLS (wrapper mode; 465 is implicit by default).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" name' -l 'name' -d 'The name the certificate must cover, e.g. the MX name (default: each host probed).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" ca-file' -l 'ca-file' -d 'Verify against these trust anchors instead of the system store.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" warning-days' -l 'warning-days' -d 'WARNING when a certificate expires within this many days.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" critical-days' -l 'critical-days' -d 'CRITICAL when a certificate expires within this many days.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" timeout' -l 'timeout' -d 'Seconds the whole check may take; past that it ends UNKNOWN.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" format' -l 'format' -d 'Output format: nagios (status line + perfdata) or prometheus (text exposition format).' -rfka 'nagios prometheus'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" output' -l 'output' -d 'Write the result to FILE instead of standard output, replacing it atomically (a new file beside it, mode 0644, renamed over it).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" config-dir' -l 'config-dir' -d 'Postfix configuration directory whose myhostname is the default --host.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check"' -l 'log' -d 'Mail log to count TLS failures of the last hour in (repeatable; plain or .gz).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" failures-warning' -l 'failures-warning' -d 'WARNING at this many TLS failures in the last hour (needs --log).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" failures-critical' -l 'failures-critical' -d 'CRITICAL at this many TLS failures in the last hour (needs --log).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls dns" resolver' -l 'resolver' -d 'DNS resolver to ask (a validating one reports DNSSEC status).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls dns" port' -l 'port' -d 'SMTP port to probe on each MX (TLSA is always looked up at _25._tcp).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls dns" ca-file' -l 'ca-file' -d 'Verify certificates against these trust anchors instead of the system store.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls dns"' -l 'dkim-selector' -d 'DKIM selector to check (repeatable; default: from OpenDKIM or rspamd configuration).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls dns" key-file' -l 'key-file' -d 'The private key on disk: warn when the TLSA records do not pin it (a renewal would break DANE).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls dns" cert-file' -l 'cert-file' -d 'The certificate on disk, for the same renewal check.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls dns" timeout' -l 'timeout' -d 'Seconds for each lookup, probe and fetch.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls dns" json' -l 'json' -d 'Print JSON instead of text, in the shape of the command\'s JSON Schema (named above; in /usr/share/doc/postls/json/ when installed).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls dns" no-color' -l 'no-color' -d 'Do not color the text output (it is plain anyway when NO_COLOR is set or standard output is not a terminal).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls dns" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls dns" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls tlsrpt" json' -l 'json' -d 'Print JSON instead of text, in the shape of the command\'s JSON Schema (named above; in /usr/share/doc/postls/json/ when installed).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls tlsrpt" no-color' -l 'no-color' -d 'Do not color the text output (it is plain anyway when NO_COLOR is set or standard output is not a terminal).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls tlsrpt" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls tlsrpt" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls demo" print' -l 'print' -d 'Print the diagnosis instead of starting the wizard (the default without a terminal).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls demo" json' -l 'json' -d 'Print JSON instead of text, in the shape of the command\'s JSON Schema (named above; in /usr/share/doc/postls/json/ when installed).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls demo" no-color' -l 'no-color' -d 'Do not color the text output (it is plain anyway when NO_COLOR is set or standard output is not a terminal).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls demo" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls demo" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" config-dir' -l 'config-dir' -d 'Postfix configuration directory (like postconf -c).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report"' -l 'log' -d 'Mail log to read (repeatable; default: the system\'s mail logs, rotated ones included).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report"' -l 'host' -d 'Host to probe (repeatable; default: each listener\'s own address, else 127.0.0.1).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" port' -l 'port' -d 'Comma-separated ports to probe (default: every smtpd listener in master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" implicit' -l 'implicit' -d 'Ports that use implicit TLS (wrapper-mode services are detected from master.cf).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" name' -l 'name' -d 'The name the certificate must cover, e.g. the MX name (default: myhostname).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" smtp-port' -l 'smtp-port' -d 'Comma-separated ports that receive mail from the internet, e.g. behind a port forward (default 25): their listeners get the MX rules even on loopback.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" ca-file' -l 'ca-file' -d 'Verify certificates against these trust anchors instead of the system store.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" no-probe' -l 'no-probe' -d 'Do not probe the listeners.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" no-logs' -l 'no-logs' -d 'Do not read mail logs.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" timeout' -l 'timeout' -d 'Seconds allowed for each probe phase.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" domain' -l 'domain' -d 'Also check this mail domain\'s DNS (MX, TLSA/DANE, MTA-STS) against what the server serves.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" resolver' -l 'resolver' -d 'Resolver for --domain (a validating one reports DNSSEC).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report"' -l 'tlsrpt' -d 'Senders\' TLS reports (RFC 8460) to join with the logs and the probe: files, Maildir folders, mbox, .eml, gzip, as `postls tlsrpt` reads them (repeatable).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" dovecot-config' -l 'dovecot-config' -d 'Dovecot configuration to check too (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" format' -l 'format' -d 'markdown or json (schema: docs/json/report.schema.json).' -rfka 'markdown json'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" redact' -l 'redact' -d 'Replace host names, domains, addresses and mail addresses with placeholders.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" output' -l 'output' -d 'Write the report to this file (mode 0600) instead of stdout.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" bundle' -l 'bundle' -d 'Write a support bundle for `postls open` to this file (mode 0600) instead of a report.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls report" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls open" no-color' -l 'no-color' -d 'Do not color the text output (it is plain anyway when NO_COLOR is set or standard output is not a terminal).'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls open" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls open" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" config-dir' -l 'config-dir' -d 'Postfix configuration directory.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" hostname' -l 'hostname' -d 'The name the certificate must cover (default: myhostname).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" key' -l 'key' -d 'Key type for a generated key: ecdsa (P-256), rsa3072, rsa4096.' -rfka 'ecdsa rsa3072 rsa4096'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" cert' -l 'cert' -d 'Your certificate (leaf or full chain, PEM).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" key-file' -l 'key-file' -d 'The private key of --cert.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" self-signed' -l 'self-signed' -d 'No certificate yet: generate a key and a self-signed stopgap.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" csr-only' -l 'csr-only' -d 'No certificate yet: generate a key and a CSR for your CA.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup"' -l 'san' -d 'Another DNS name (subjectAltName) for a generated certificate or CSR (repeatable).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" yes' -l 'yes' -d 'Apply without asking.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" dry-run' -l 'dry-run' -d 'Show what would change; change nothing.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" no-reload' -l 'no-reload' -d 'Do not reload Postfix (and so do not probe) after writing.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" dovecot-config' -l 'dovecot-config' -d 'Dovecot configuration (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" ca-file' -l 'ca-file' -d 'Verify the probed certificates against these trust anchors.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" timeout' -l 'timeout' -d 'Seconds allowed for each probe phase.' -rfka ''
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" version' -l 'version' -d 'Show the version.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls setup" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'postls' -n '__postls_should_offer_completions_for_flags_or_options "postls help" version' -l 'version' -d 'Show the version.'
