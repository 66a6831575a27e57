"""freshboot's benchmarks: `nox -s bench` (or `python -m benchmarks`) prints one table.

Every figure is measured side by side in the same run, the compared runs interleaved and
repeated, and reported as a median with its range:

- B1: `freshboot smoke --variant async` against a bare shell script doing the same steps;
- B2: the pairwise matrix at `-j 2` against the same variants one by one (`-j 1`);
- B3: the time from the app's port accepting connections to freshboot marking it ready;
- B4: freshboot's peak memory while a variant prints 200 MB of output.
- B5: a throwaway PostgreSQL server from the cached cluster against one from its own initdb.
"""
