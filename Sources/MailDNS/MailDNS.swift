// The DNS engine: what a sending MTA looks up before it connects, joined to what each MX serves.
//
// Layers, bottom up (each usable alone):
//   DNSName, DNSMessage (+ DNSWire)   the wire format: names with compression, EDNS0/DO, records; pure, never traps
//   DNSTransport, DNSClient           one recursive resolver over UDP with TCP fallback, bounded retries, a deadline
//   DNSResolving, StubResolver        lookups with CNAME chasing and DNSSEC status (AD; SERVFAIL + CD = bogus)
//   DANE, MTASTSPolicy, MailAuthentication, DKIMSelectors, RecordGenerator   pure checks and generation
//   MXCertificateFetching, MTASTSPolicyFetching   the SMTP (STARTTLS) and HTTPS side effects, behind protocols
//   MailDomainInspector -> DNSReport  the whole `postls dns` result: findings (cause ids), context, suggestions
import PostlsCore
