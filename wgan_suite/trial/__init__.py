"""One trial: its config, models, losses, Lipschitz methods, optimizers, schedules, data, metrics
and the training loop."""
