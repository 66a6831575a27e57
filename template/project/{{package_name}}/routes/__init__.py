"""HTTP routes, one module per resource: `health` (liveness, readiness) and `jobs`."""
