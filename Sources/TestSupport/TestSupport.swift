// Shared test helpers: real Postfix/Dovecot instances, certificates, real peers.
import PostlsCore
