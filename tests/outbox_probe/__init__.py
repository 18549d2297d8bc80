"""A module only the outbox tests enable: a topic whose handler is slow enough to be killed mid-job.

In the test process a fixture adds it to BACKOFFICE_MODULES; worker subprocesses get it through
the BACKOFFICE_MODULES environment variable.
"""
