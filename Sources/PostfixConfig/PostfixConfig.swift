// The PostfixConfig engine; see docs/ARCHITECTURE.md for what it owns.
import PostlsCore
