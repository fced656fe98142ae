"""The embedded demo: North Korea, December 2014, reconstructed from the public record.

Our own MRT writer (``mrt_writer``) writes the scenario ``kp-2014-12`` (``scenario``, ``cast``,
``archive``) as RouteViews- and RIS-style archive files, which the normal ingest imports into a
store labelled as the demo (``build``). Benchmarks' stores of real size come from copies of real
archives moved in time (``shift``), laid out as collectors' archives (``scale``). Qt-free, like
everything outside ``explorer.ui``.
"""

from explorer.demo.build import DEMO_ENV_VAR, DEMO_LABEL, build_demo_store, demo_store_path, ensure_demo_store

__all__ = ["DEMO_ENV_VAR", "DEMO_LABEL", "build_demo_store", "demo_store_path", "ensure_demo_store"]
