"""Running many trials: ablation files, plans, preflight checks, Ray Tune, locks, progress and the
results tables."""
