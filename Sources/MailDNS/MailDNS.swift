// The DNS engine: MX, TLSA, MTA-STS, SPF/DKIM/DMARC with DNSSEC status.
import PostlsCore
