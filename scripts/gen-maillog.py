#!/usr/bin/env python3
"""Writes a synthetic Postfix mail log of about SIZE_MB megabytes to stdout, built from real line shapes
(Postfix 3.7 smtpd/smtp/qmgr/cleanup/postscreen, OpenSSL 3 errors), with about 2% of the inbound
connections failing TLS. A block is generated once and repeated with shifted pids to reach the size."""
import random, sys

size_mb = float(sys.argv[1]) if len(sys.argv) > 1 else 200
fail_ratio = float(sys.argv[2]) if len(sys.argv) > 2 else 0.02
rnd = random.Random(42)
host = "mx"
domains = ["google.com", "outlook.com", "yahoo.com", "example.org", "gmx.net", "web.de", "mailchimp.com", "amazonses.com"]
failures = [
    ("postfix/smtpd", "warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1664:", "STARTTLS"),
    ("postfix/smtpd", "warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:../ssl/statem/statem_srvr.c:2226:", "STARTTLS"),
    ("postfix/smtps/smtpd", "warning: TLS library problem: error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:350:", "CONNECT"),
    ("postfix/smtps/smtpd", "warning: TLS library problem: error:0A00009C:SSL routines::http request:../ssl/record/ssl3_record.c:341:", "CONNECT"),
    ("postfix/smtpd", "warning: TLS library problem: error:0A000418:SSL routines::tlsv1 alert unknown ca:../ssl/record/rec_layer_s3.c:1586:SSL alert number 48", "STARTTLS"),
    ("postfix/submission/smtpd", None, "STARTTLS"),
]

def peer():
    if rnd.random() < 0.25:
        return "unknown[%d.%d.%d.%d]" % (rnd.randint(1, 223), rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254))
    d = rnd.choice(domains)
    if rnd.random() < 0.3:
        return "mail-%s%d-x%d.%s[2a00:1450:400c:c0%d::%x]" % (rnd.choice("abcdefw"), rnd.randint(0, 9), rnd.randint(100, 999), d, rnd.randint(0, 9), rnd.randint(1, 4095))
    return "mail%d.%s[%d.%d.%d.%d]" % (rnd.randint(1, 99), d, rnd.randint(1, 223), rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254))

def qid():
    return "%010X" % rnd.getrandbits(40)

out = []
seconds = 0
def ts():
    global seconds
    seconds += rnd.randint(0, 2)
    s = seconds % 86400
    return "Apr %2d %02d:%02d:%02d" % (3 + seconds // 86400 % 25, s // 3600, s % 3600 // 60, s % 60)

def inbound(pid):
    p = peer(); t = ts(); q = qid()
    pre = "%s %s postfix/smtpd[%d]: " % (t, host, pid)
    out.append(pre + "connect from " + p)
    tls = rnd.random() < 0.7
    if tls:
        v = rnd.choice(["TLSv1.3"] * 8 + ["TLSv1.2"] * 3 + ["TLSv1"])
        c = "TLS_AES_256_GCM_SHA384" if v == "TLSv1.3" else "ECDHE-RSA-AES256-GCM-SHA384"
        out.append(pre + "Anonymous TLS connection established from %s: %s with cipher %s (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256" % (p, v, c))
    if rnd.random() < 0.2:
        out.append(pre + "NOQUEUE: reject: RCPT from %s: 554 5.7.1 Service unavailable; Client host [%s] blocked using zen.spamhaus.org; from=<a@x.example> to=<b@example.org> proto=ESMTP helo=<x>" % (p, p.split("[")[1][:-1]))
    else:
        out.append(pre + "%s: client=%s" % (q, p))
        out.append("%s %s postfix/cleanup[%d]: %s: message-id=<%x@%s>" % (t, host, pid + 7, q, rnd.getrandbits(48), rnd.choice(domains)))
        out.append("%s %s postfix/qmgr[812]: %s: from=<sender@%s>, size=%d, nrcpt=1 (queue active)" % (t, host, q, rnd.choice(domains), rnd.randint(800, 90000)))
        if rnd.random() < 0.5:
            out.append("%s %s postfix/local[%d]: %s: to=<user@example.org>, relay=local, delay=0.21, delays=0.1/0.01/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)" % (t, host, pid + 11, q))
        else:
            d = rnd.choice(domains)
            out.append("%s %s postfix/smtp[%d]: Trusted TLS connection established to mx.%s[192.0.2.%d]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256" % (t, host, pid + 13, d, rnd.randint(1, 254)))
            out.append("%s %s postfix/smtp[%d]: %s: to=<user@%s>, relay=mx.%s[192.0.2.%d]:25, delay=1.2, delays=0.1/0.01/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 OK  1712129447 a640c23a62f3a-a51)" % (t, host, pid + 13, q, d, d, rnd.randint(1, 254)))
        out.append("%s %s postfix/qmgr[812]: %s: removed" % (t, host, q))
    out.append(pre + "disconnect from %s ehlo=1 %smail=1 rcpt=1 data=1 quit=1 commands=%d" % (p, "starttls=1 " if tls else "", 6 if tls else 5))

def failing(pid):
    prog, err, after = rnd.choice(failures)
    p = peer(); t = ts()
    pre = "%s %s %s[%d]: " % (t, host, prog, pid)
    out.append(pre + "connect from " + p)
    if err:
        out.append(pre + "SSL_accept error from %s: -1" % p)
        out.append(pre + err)
    out.append(pre + "lost connection after %s from %s" % (after, p))
    out.append(pre + "disconnect from %s ehlo=1 %scommands=1/2" % (p, "starttls=0/1 " if after == "STARTTLS" else ""))

def noise():
    t = ts()
    out.append("%s %s postfix/postscreen[700]: CONNECT from [%d.%d.%d.%d]:%d to [192.0.2.1]:25" % (t, host, rnd.randint(1, 223), rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254), rnd.randint(1024, 65535)))
    out.append("%s %s postfix/anvil[701]: statistics: max connection rate 3/60s for (smtp:192.0.2.%d) at Apr  3 07:30:47" % (t, host, rnd.randint(1, 254)))

pid = 1000
for i in range(40000):
    pid = 1000 + (pid + rnd.randint(1, 40)) % 60000
    r = rnd.random()
    if r < fail_ratio:
        failing(pid)
    elif r < fail_ratio + 0.1:
        noise()
    else:
        inbound(pid)
block = ("\n".join(out) + "\n").encode()
target = int(size_mb * 1024 * 1024)
written = 0
w = sys.stdout.buffer
rep = 0
while written < target:
    # Shift pids per repetition so sessions of different blocks do not merge.
    chunk = block if rep == 0 else block.replace(b"[1", b"[%d" % (rep % 9 + 1), 0)
    if written + len(chunk) > target:
        chunk = chunk[:chunk.rfind(b"\n", 0, max(1, target - written)) + 1]
        if not chunk:
            break
    w.write(chunk)
    written += len(chunk)
    rep += 1
