#!/bin/bash
# Starts a throwaway Postfix on loopback (as root) for benchmarks and manual probes, the shell twin of
# TestSupport's PostfixInstance. Usage: postfix-throwaway.sh start DIR PORT [SMTPS-PORT] | stop DIR
# Facts it relies on (docs/ENVIRONMENT): data_directory owned by postfix, no chroot, maillog_file with
# postlogd, main.cf back-dated so postconf does not sleep.
set -eu
cmd=$1 dir=$2
case $cmd in
stop)
    postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
    exit 0 ;;
start) ;;
*) echo "usage: $0 start DIR PORT [SMTPS-PORT] | stop DIR" >&2; exit 64 ;;
esac
port=$3 smtps=${4:-}
mkdir -p "$dir/etc" "$dir/queue" "$dir/data" "$dir/log" "$dir/pki"
chown postfix "$dir/data"
chmod 755 "$dir"
# A test CA and a leaf for mail.postls.test (ECDSA P-256), leaf first then the CA in the chain file.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=postls bench CA" \
    -keyout "$dir/pki/ca.key" -out "$dir/pki/ca.pem" -addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=mail.postls.test" \
    -keyout "$dir/pki/mail.key" -out "$dir/pki/mail.csr" 2>/dev/null
printf 'subjectAltName=DNS:mail.postls.test\n' > "$dir/pki/ext"
openssl x509 -req -in "$dir/pki/mail.csr" -CA "$dir/pki/ca.pem" -CAkey "$dir/pki/ca.key" -CAcreateserial \
    -days 30 -extfile "$dir/pki/ext" -out "$dir/pki/mail.crt" 2>/dev/null
cat "$dir/pki/mail.key" "$dir/pki/mail.crt" "$dir/pki/ca.pem" > "$dir/pki/chain.pem"
cat > "$dir/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
myhostname = mail.postls.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
maillog_file = $dir/log/maillog
maillog_file_prefixes = $dir
smtpd_banner = \$myhostname ESMTP postls-bench
disable_dns_lookups = yes
smtpd_tls_security_level = may
smtpd_tls_chain_files = $dir/pki/chain.pem
smtpd_tls_loglevel = 1
CF
{
    echo "127.0.0.1:$port inet n - n - - smtpd"
    [ -n "$smtps" ] && printf '127.0.0.1:%s inet n - n - - smtpd\n  -o syslog_name=postfix/smtps\n  -o smtpd_tls_wrappermode=yes\n' "$smtps"
    for s in "pickup unix n - n 60 1 pickup" "cleanup unix n - n - 0 cleanup" "qmgr unix n - n 300 1 qmgr" \
        "tlsmgr unix - - n 1000? 1 tlsmgr" "rewrite unix - - n - - trivial-rewrite" "bounce unix - - n - 0 bounce" \
        "defer unix - - n - 0 bounce" "trace unix - - n - 0 bounce" "verify unix - - n - 1 verify" \
        "proxymap unix - - n - - proxymap" "smtp unix - - n - - smtp" "error unix - - n - - error" \
        "anvil unix - - n - 1 anvil" "scache unix - - n - 1 scache" "postlog unix-dgram n - n - 1 postlogd"; do
        echo "$s"
    done
} > "$dir/etc/master.cf"
touch -d '-1 minute' "$dir/etc/main.cf" "$dir/etc/master.cf"
postfix -c "$dir/etc" start >/dev/null 2>&1
# Wait until it accepts connections.
i=0
while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && { echo "postfix did not start" >&2; exit 1; }
    sleep 0.1
done
