"""Batch mode (`--batch`, `[models.X] batch = true`): a run's model calls go through the provider's Batch API at
its batch price. The graph is unchanged: each chat call's HTTP request is answered from a batch
(personagen/batch/session.py), so critic loops, failure sorting and events work as in a synchronous run.
docs/batch.md says how it runs, what a run folder keeps (RUN/batch/) and how long a run can take."""
