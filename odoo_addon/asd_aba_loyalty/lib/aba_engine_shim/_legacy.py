"""The legacy engine, imported relatively inside the addon (lib/ is a package there) and as a
top-level package when lib/ itself is on sys.path (tests, bare interpreters)."""

try:
    from .. import aba_legacy_engine as legacy
except ImportError:  # lib/ is on sys.path: the shim is a top-level package
    import aba_legacy_engine as legacy

__all__ = ["legacy"]
