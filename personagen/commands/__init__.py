"""The CLI's commands, one module each; every module exposes `register(app)`."""
