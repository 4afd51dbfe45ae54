"""The foundation: types, errors, statuses, the environment, files and their layout on disk,
registries, provenance. Imports nothing above it."""
